import { Command, InvalidArgumentError, Option } from 'commander';
import type { BackfillDateResult } from '../../../workflows/backfill';
import type { Client } from '@temporalio/client';
import type * as Signals from '../../core/signals';
import { parseRunDate } from '../../core/dates';
import { UsageError } from '../../core/errors';
import { checkRange } from '../../core/limits';
import { requireEndedDay, type CliContext } from './context';
import { followProgress, resultThroughOutages } from './follow';

/**
 * "; waiting for Flink to report …" for the running dates whose Flink gate has looked at
 * realtime.flink_batches and found no marker (a run shows its gate step from before the gate
 * looks until after it opens: only the gate knows whether it waits).
 */
async function flinkWaits(client: Client, { progressQuery, workflowIds }: typeof Signals, pipeline: string, running: string[]): Promise<string> {
  const { flinkGateState } = await import('../../client/live-progress');
  const waiting: string[] = [];
  for (const runDate of running) {
    const query = (id: string) => client.workflow.getHandle(id).query(progressQuery).catch(() => undefined);
    let p = await query(pipeline === 'dbt' ? workflowIds.dbtDailyRun(runDate) : workflowIds.dailyEtl(runDate));
    // The daily ETL waits for the date's dbt run, which may itself wait for Flink.
    if (p?.step === 'waiting-for-dbt-run') p = await query(workflowIds.dbtDailyRun(runDate));
    if (p?.step === 'waiting-for-flink' && (await flinkGateState(client.workflow, runDate)) === 'waiting') waiting.push(runDate);
  }
  if (!waiting.length) return '';
  const sorted = waiting.sort();
  const hint =
    sorted.length === 1 ? `roas flink-complete --date ${sorted[0]}` : `roas flink-complete --from ${sorted[0]} --to ${sorted[sorted.length - 1]}`;
  return `; waiting for Flink to report ${sorted.join(', ')} complete (if ${sorted.length === 1 ? 'it is' : 'they are'}: ${hint})`;
}

export function backfillCommand(context: () => Promise<CliContext>): Command {
  return new Command('backfill')
    .description(
      'Run a pipeline for every date of a range, in date order, a few at a time. Dates that already succeeded are skipped ' +
        '(unless --force); a date already running is waited for, never run twice. The backfill is itself a workflow: it survives restarts.',
    )
    .argument('<pipeline>', 'dbt or etl')
    .requiredOption('--from <YYYY-MM-DD>', 'first date')
    .requiredOption('--to <YYYY-MM-DD>', 'last date (inclusive)')
    .addOption(
      new Option('--concurrency <n>', 'dates at once').default(2).argParser((v) => {
        const n = /^\d{1,2}$/.test(v) ? Number(v) : NaN;
        if (!Number.isInteger(n) || n < 1 || n > 8) throw new InvalidArgumentError('--concurrency must be a whole number from 1 to 8.');
        return n;
      }),
    )
    .option('--force', 'run dates that already succeeded too', false)
    .option('--allow-large-range', 'allow a range of more than 92 days', false)
    .option('--wait', 'follow it until every date is done; exit 1 if any failed', false)
    .addHelpText('after', '\nExample:\n  roas backfill dbt --from 2026-11-01 --to 2026-11-07 --wait')
    .action(async (pipeline: string, opts: { from: string; to: string; concurrency: number; force: boolean; wait: boolean; allowLargeRange: boolean }) => {
      if (pipeline !== 'dbt' && pipeline !== 'etl') throw new UsageError(`unknown pipeline "${pipeline}": choose dbt or etl`);
      const from = requireEndedDay(parseRunDate(opts.from, '--from'));
      const to = requireEndedDay(parseRunDate(opts.to, '--to'));
      checkRange(from, to, { allowLarge: opts.allowLargeRange });
      const ctx = await context();
      const [{ backfillProgressQuery }, { backfill }, { pipelineSettings }, signals] = await Promise.all([
        import('../../../workflows/backfill'),
        import('../../../workflows'),
        import('../../client/runs'),
        import('../../core/signals'),
      ]);
      try {
        const client = await ctx.temporal();
        const workflowId = `backfill-${pipeline}-${from}-${to}-${Date.now().toString(36)}`;
        const handle = await client.workflow.start(backfill, {
          workflowId,
          taskQueue: ctx.config.temporal.taskQueue,
          args: [
            {
              pipeline,
              from,
              to,
              concurrency: opts.concurrency,
              force: opts.force,
              settings: pipelineSettings(ctx.config),
            },
          ],
        });
        console.log(`started ${workflowId}\n  ${ctx.config.temporal.uiUrl}/namespaces/${ctx.config.temporal.namespace}/workflows/${workflowId}`);
        if (!opts.wait) return;
        const look = async () => {
          const p = await handle.query(backfillProgressQuery);
          let line = `${p.done}/${p.total} dates done${p.running.length ? `, running ${p.running.join(', ')}` : ''}`;
          if (p.running.length) line += await flinkWaits(client, signals, pipeline, p.running);
          return { key: line, line };
        };
        const { temporalAddress } = await import('../../platform/temporal-connection');
        const outcome = resultThroughOutages(() => handle.result(), {
          server: `Temporal at ${temporalAddress(ctx.config)}`,
          followAgain: `roas runs --from ${from} --to ${to}`,
          probe: () => handle.describe(),
        });
        const results: BackfillDateResult[] = await followProgress(look, outcome.result, Date.now(), { quiet: outcome.down });
        for (const r of results) console.log(`  ${r.runDate} ${r.status.padEnd(9)} ${r.detail}`);
        if (results.some((r) => r.status === 'failed')) process.exitCode = 1;
      } finally {
        await ctx.close();
      }
    });
}
