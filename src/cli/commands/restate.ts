import { Command } from 'commander';
import type pg from 'pg';
import type { RestateResult } from '../../../workflows/restate';
import { addDays, parseRunDate } from '../../core/dates';
import { checkRange } from '../../core/limits';
import { requireEndedDay, type CliContext } from './context';

/** How far back `status` looks for published days with late rows not yet restated. */
export const LATE_ROWS_STATUS_DAYS = 31;

/**
 * Lines for `status`: the published days of the last weeks that received rows after the cut they
 * were built from, not yet restated (the nightly look-back restates the recent ones; older ones
 * wait for `roas restate`).
 */
export async function lateRowLines(pool: pg.Pool, through: string): Promise<string[]> {
  const from = addDays(through, -(LATE_ROWS_STATUS_DAYS - 1));
  const { rows } = await pool.query<{ run_date: string; cut_rows: string; late_rows: string }>(
    'SELECT run_date::text, cut_rows, late_rows FROM realtime_cut.late_rows($1::date, $2::date) ORDER BY run_date',
    [from, through],
  );
  if (!rows.length) return [`no published day of ${from}..${through} has late rows waiting for a restatement`];
  return [
    `late rows not yet restated (published days of ${from}..${through}):`,
    ...rows.map((r) => `  ${r.run_date}: ${Number(r.late_rows).toLocaleString('en-US')} rows after its cut of ${Number(r.cut_rows).toLocaleString('en-US')}`),
    `restate them: roas restate --from ${rows[0]!.run_date} --to ${rows[rows.length - 1]!.run_date}`,
  ];
}

function range(opts: { from: string; to: string }): { from: string; to: string } {
  const from = requireEndedDay(parseRunDate(opts.from, '--from'));
  const to = requireEndedDay(parseRunDate(opts.to, '--to'));
  checkRange(from, to);
  return { from, to };
}

export function restateCommand(context: () => Promise<CliContext>): Command {
  return new Command('restate')
    .description(
      'Rebuild the published days of a range that received events after the cut they were built from, each as its own ' +
        "date's run (trigger restatement), through the same tests and publish. A day that fails keeps its published version. " +
        'The nightly run does this for the last days by itself (ROAS_RESTATE_LOOKBACK_DAYS); this is for older ones.',
    )
    .requiredOption('--from <YYYY-MM-DD>', 'first date')
    .requiredOption('--to <YYYY-MM-DD>', 'last date (inclusive)')
    .addHelpText('after', '\nExample:\n  roas restate --from 2026-10-01 --to 2026-10-31')
    .action(async (opts: { from: string; to: string }) => {
      const { from, to } = range(opts);
      const ctx = await context();
      const [{ restate }, { pipelineSettings }] = await Promise.all([import('../../../workflows'), import('../../client/runs')]);
      try {
        const client = await ctx.temporal();
        const workflowId = `restate-${from}-${to}-${Date.now().toString(36)}`;
        const handle = await client.workflow.start(restate, {
          workflowId,
          taskQueue: ctx.config.temporal.taskQueue,
          args: [{ from, to, settings: pipelineSettings(ctx.config) }],
        });
        console.log(`started ${workflowId}; waiting for it`);
        const result: RestateResult = await handle.result();
        if (!result.days.length) console.log(`no published day of ${from}..${to} has late rows: nothing to restate`);
        for (const d of result.days) console.log(`  ${d.runDate} ${d.status.padEnd(8)} ${d.lateRows.toLocaleString('en-US')} late rows; ${d.detail}`);
        if (result.moved.length) console.log(`moved by more than the alert share: ${result.moved.join(', ')} (see roas restatements)`);
        if (result.days.some((d) => d.status === 'failed')) process.exitCode = 1;
      } finally {
        await ctx.close();
      }
    });
}

interface RestatementRow {
  run_date: string;
  restated_at: Date;
  trigger: string;
  run_id: string;
  rows_before: string | null;
  rows_after: string | null;
  spend_before: string | null;
  spend_after: string | null;
  revenue_before: string | null;
  revenue_after: string | null;
  conversions_before: string | null;
  conversions_after: string | null;
  roas_before: string | null;
  roas_after: string | null;
  largest_change: string | null;
}

const text = (v: string | null) => v ?? '–';

export function restatementsCommand(context: () => Promise<CliContext>): Command {
  return new Command('restatements')
    .description('The record of restated days: when, by which run, rows, spend, revenue, conversions and ROAS before and after (totals; --campaigns for each campaign).')
    .requiredOption('--from <YYYY-MM-DD>', 'first date')
    .requiredOption('--to <YYYY-MM-DD>', 'last date (inclusive)')
    .option('--campaigns', 'each campaign too, not only the totals', false)
    .action(async (opts: { from: string; to: string; campaigns: boolean }) => {
      const from = parseRunDate(opts.from, '--from');
      const to = parseRunDate(opts.to, '--to');
      checkRange(from, to);
      const ctx = await context();
      try {
        const pool = await ctx.pool('reporting');
        const { rows } = await pool.query<RestatementRow & { campaign_id: string | null }>(
          `SELECT run_date::text, restated_at, trigger, run_id, campaign_id, rows_before, rows_after, spend_before::text, spend_after::text,
                  revenue_before::text, revenue_after::text, conversions_before, conversions_after, roas_before::text, roas_after::text, largest_change::text
           FROM orchestrator.restatements
           WHERE run_date BETWEEN $1 AND $2 AND ($3 OR campaign_id IS NULL)
           ORDER BY run_date, restated_at, id`,
          [from, to, opts.campaigns],
        );
        if (!rows.length) {
          console.log(`no day of ${from}..${to} was restated`);
          return;
        }
        for (const r of rows) {
          const who = r.campaign_id ? `    ${r.campaign_id}` : `${r.run_date} ${r.restated_at.toISOString()} ${r.trigger} run ${r.run_id}\n    total`;
          console.log(
            `${who}: rows ${text(r.rows_before)} → ${text(r.rows_after)}, spend ${text(r.spend_before)} → ${text(r.spend_after)}, ` +
              `revenue ${text(r.revenue_before)} → ${text(r.revenue_after)}, conversions ${text(r.conversions_before)} → ${text(r.conversions_after)}, ` +
              `ROAS ${text(r.roas_before)} → ${text(r.roas_after)}${r.campaign_id ? '' : ` (largest move ${text(r.largest_change)})`}`,
          );
        }
      } finally {
        await ctx.close();
      }
    });
}
