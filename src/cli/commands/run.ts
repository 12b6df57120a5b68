import { Command } from 'commander';
import { parseRunDate } from '../../core/dates';
import { UsageError } from '../../core/errors';
import { dbtFailureLines, describeProgress } from '../../core/describe';
import type { DailyEtlResult, DbtDailyRunProgress, DbtDailyRunResult, DbtFailureDetails } from '../../core/types';
import { requireEndedDay, shownPath, type CliContext } from './context';
import { followProgress, resultThroughOutages, type ProgressView } from './follow';

const PIPELINES = ['dbt', 'etl'] as const;

export function runCommand(context: () => Promise<CliContext>): Command {
  return new Command('run')
    .description('Start a pipeline for one date now (a manual trigger). The same date never runs twice at once.')
    .argument('<pipeline>', 'dbt (the 00:00 UTC dbt run + test) or etl (the 06:00 UTC daily ETL and report)')
    .requiredOption('-d, --date <YYYY-MM-DD>', 'the UTC day to process')
    .option('--force', 'run even if the date already succeeded', false)
    .option('--wait', 'follow the run: step, dbt nodes done / total, elapsed; exit 1 if it fails', false)
    .addHelpText('after', '\nExamples:\n  roas run dbt --date 2026-11-27 --wait\n  roas run dbt --date 2026-11-27 --force\n  roas run etl --date 2026-11-27 --wait')
    .action(async (pipeline: string, opts: { date: string; force: boolean; wait: boolean }) => {
      if (!(PIPELINES as readonly string[]).includes(pipeline)) {
        throw new UsageError(`unknown pipeline "${pipeline}": choose one of ${PIPELINES.join(', ')}`);
      }
      const runDate = requireEndedDay(parseRunDate(opts.date, '--date'));
      const ctx = await context();
      const [{ WorkflowFailedError }, { startDailyEtl, startDbtDailyRun }, { liveProgress }] = await Promise.all([
        import('@temporalio/client'),
        import('../../client/runs'),
        import('../../client/live-progress'),
      ]);
      try {
        const client = await ctx.temporal();
        const handle =
          pipeline === 'etl'
            ? await startDailyEtl(client, ctx.config, runDate, { force: opts.force, trigger: 'manual' })
            : await startDbtDailyRun(client, ctx.config, runDate, { force: opts.force, trigger: 'manual' });
        const link = `${ctx.config.temporal.uiUrl}/namespaces/${ctx.config.temporal.namespace}/workflows/${handle.workflowId}`;
        console.log(`started ${handle.workflowId}\n  ${link}`);
        if (!opts.wait) return;
        const { temporalAddress } = await import('../../platform/temporal-connection');
        const outcome = resultThroughOutages<DbtDailyRunResult | DailyEtlResult>(() => handle.result(), {
          server: `Temporal at ${temporalAddress(ctx.config)}`,
          followAgain: `roas status --date ${runDate}`,
          probe: () => handle.describe(),
        });
        const result = await followProgress<DbtDailyRunResult | DailyEtlResult>(() => liveProgress(handle).then((p) => progressView(p)), outcome.result, Date.now(), {
          stamp: true,
          quiet: outcome.down,
        });
        if ('checks' in result) printEtlResult(result);
        else printResult(result);
      } catch (err) {
        if (err instanceof WorkflowFailedError) {
          const cause = (err.cause?.cause ?? err.cause) as (Error & { type?: string | null; details?: unknown[] }) | undefined;
          console.error(`failed: ${cause?.message ?? err.message}`);
          // A failed dbt step: each failing node with its cause, how to reproduce it, its artifacts (as the alert says).
          const details = cause?.details?.[0] as DbtFailureDetails | undefined;
          if (details?.reproduce && Array.isArray(details.failingNodes)) {
            for (const line of dbtFailureLines(cause?.type ?? 'Error', details, 'run-once').slice(1)) console.error(`  ${line}`);
          }
          process.exitCode = 1;
          return;
        }
        throw err;
      } finally {
        await ctx.close();
      }
    });
}

/** What `--wait` shows of a run's progress query. */
export function progressView(p: DbtDailyRunProgress, nowMs = Date.now()): ProgressView {
  const failures = p.failures.length ? `, failures: ${p.failures.join(', ')}` : '';
  return {
    // Compared without the clock, so a waiting run prints once (and then a heartbeat), not every second.
    key: `${p.step}|${p.flinkGate ?? ''}|${p.nodesDone}/${p.nodesTotal}|${p.attempt}|${p.failures.join(',')}|${p.slaMissed}|${JSON.stringify(p.lastAttempt ?? null)}`,
    line: `${describeProgress(p, nowMs)}${failures}${p.slaMissed ? ', SLA missed' : ''}`,
  };
}

function printResult(r: DbtDailyRunResult): void {
  if (r.status === 'skipped') {
    console.log(`skipped: ${r.reason ?? ''}`);
    return;
  }
  console.log(`${r.status}: ${r.runDate}, SLA ${r.slaMet ? 'met' : 'MISSED'}`);
  for (const s of r.steps) {
    console.log(`  dbt ${s.step}: ${s.nodeCounts?.total ?? s.nodes?.length ?? 0} nodes, dbt ${s.dbtSeconds.toFixed(1)}s, attempt ${s.attempt}, artifacts ${shownPath(s.targetPath)}`);
  }
  for (const w of r.warnings) console.log(`  warning: ${w.name} (${w.failures ?? '?'} rows): ${w.message ?? ''}`);
}

function printEtlResult(r: DailyEtlResult): void {
  if (r.status === 'skipped') {
    console.log(`skipped: ${r.reason ?? ''}`);
    return;
  }
  console.log(`${r.status}: daily ETL for ${r.runDate}`);
  for (const c of r.checks) console.log(`  check ${c.name}: ${c.status} (${c.detail})`);
  if (r.report) console.log(`  report: ${shownPath(r.report.htmlPath)}`);
}
