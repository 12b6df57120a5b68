import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { describeProgress } from '../../core/describe';
import { PIPELINE, RUN_DATE, RUN_STEP, TRIGGER } from '../../core/search-attributes';
import { RUN_STATUSES, runsQuery, type RunStatus } from '../../client/runs-query';
import { addDays, parseRunDate } from '../../core/dates';
import { UsageError } from '../../core/errors';
import { checkRange, clip, LIMITS, parseCount } from '../../core/limits';
import type { CliContext } from './context';
import { PIPELINE_NAMES, PIPELINES, type PipelineKey } from '../../core/pipelines';

export interface LedgerRow {
  pipeline: string;
  run_date: string;
  workflow_id: string;
  run_id: string;
  status: string;
  trigger: string;
  current_step: string | null;
  attempts: number;
  sla_met: boolean | null;
  error_type: string | null;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
  summary: Record<string, unknown>;
}

/**
 * The SLA of a run as `status` shows it. The dbt run has one (1 hour from its scheduled time):
 * met, MISSED, or pending while it runs. The daily ETL has no SLA timer; it says so rather than
 * a dash, which would read as "not known".
 */
export function slaText(r: Pick<LedgerRow, 'pipeline' | 'status' | 'sla_met'>): string {
  if (r.pipeline === PIPELINES.etl.name) return 'none';
  if (r.sla_met !== null) return r.sla_met ? 'met' : 'MISSED';
  return r.status === 'running' ? 'pending' : '–';
}

/** A date's ledger rows as `status` prints them: the dbt run first, then the daily ETL, each by start time. */
export function ledgerLines(rows: LedgerRow[], nowMs = Date.now()): string[] {
  // The pipelines in the registry's order, the order they run for a date; unknown names last.
  const rank = (p: string) => {
    const i = (PIPELINE_NAMES as readonly string[]).indexOf(p);
    return i < 0 ? PIPELINE_NAMES.length : i;
  };
  const sorted = [...rows].sort((a, b) => rank(a.pipeline) - rank(b.pipeline) || a.pipeline.localeCompare(b.pipeline) || a.started_at.getTime() - b.started_at.getTime());
  const lines: string[] = [];
  for (const r of sorted) {
    lines.push(
      `  ${r.pipeline.padEnd(13)} ${r.status.padEnd(9)} ${duration(r, nowMs).padStart(7)}  trigger ${r.trigger}, step ${r.current_step ?? '–'}, attempts ${r.attempts}, SLA ${slaText(r)}`,
    );
    for (const [step, info] of Object.entries(r.summary)) {
      const s = info as { dbtSeconds?: number; attempt?: number; warnings?: string[] } | string;
      if (typeof s === 'object' && s && 'dbtSeconds' in s) {
        lines.push(`      dbt ${step}: ${s.dbtSeconds?.toFixed(1)}s, attempt ${s.attempt}${s.warnings?.length ? `, warnings: ${s.warnings.join(', ')}` : ''}`);
      }
    }
    if (r.error) lines.push(`      last error (${r.error_type}): ${r.error.split('\n')[0]}`);
    if (r.status === 'skipped' && typeof r.summary.skipped === 'string') lines.push(`      skipped: ${r.summary.skipped}`);
  }
  return lines;
}

const duration = (r: LedgerRow, nowMs = Date.now()) => {
  const ms = (r.finished_at?.getTime() ?? nowMs) - r.started_at.getTime();
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
};

export function statusCommand(context: () => Promise<CliContext>): Command {
  return new Command('status')
    .description("One date: each pipeline's runs and steps, durations, SLA, last error, and live progress of a running one.")
    .requiredOption('-d, --date <YYYY-MM-DD>', 'the run date')
    .action(async (opts: { date: string }) => {
      const runDate = parseRunDate(opts.date, '--date');
      const ctx = await context();
      const [{ WorkflowNotFoundError }, { workflowIds }, { describeFlinkDay }, { liveProgress }] = await Promise.all([
        import('@temporalio/client'),
        import('../../core/signals'),
        import('../../client/flink-complete'),
        import('../../client/live-progress'),
      ]);
      try {
        const pool = await ctx.pool();
        const { rows } = await pool.query<LedgerRow>(
          `SELECT pipeline, run_date::text, workflow_id, run_id, status, trigger, current_step, attempts, sla_met, error_type, error, started_at, finished_at, summary
           FROM orchestrator.pipeline_runs WHERE run_date = $1`,
          [runDate],
        );
        const ended = runDate <= addDays(new Date().toISOString().slice(0, 10), -1);
        console.log(`${runDate}`);
        for (const line of await describeFlinkDay(pool, runDate, ended)) console.log(`  ${line}`);
        if (!rows.length) {
          console.log(ended ? `  no runs yet: start one with roas run dbt --date ${runDate}` : `  no runs yet: the day has not ended (UTC); its scheduled run starts at 00:00 UTC on ${addDays(runDate, 1)}`);
        }
        for (const line of ledgerLines(rows)) console.log(line);
        const { lateRowLines } = await import('./restate');
        for (const line of await lateRowLines(pool, runDate)) console.log(`  ${line}`);
        const client = await ctx.temporal().catch(() => undefined);
        if (!client) {
          console.log('  (Temporal is not reachable: live progress unavailable)');
          return;
        }
        for (const id of [workflowIds.dbtDailyRun(runDate), workflowIds.dailyEtl(runDate)]) {
          try {
            const handle = client.workflow.getHandle(id);
            const d = await handle.describe();
            if (d.status.name !== 'RUNNING') continue;
            const p = await liveProgress(handle);
            console.log(
              `  live ${id}: ${describeProgress(p, Date.now())}${p.failures.length ? `, failures: ${p.failures.join(', ')}` : ''}${p.slaMissed ? ', SLA missed' : ''}`,
            );
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) continue;
            // No worker answered the progress query and no step has reported yet: say so, no trace.
            const cause = ((err as { cause?: Error }).cause ?? (err as Error)).message.split('\n')[0];
            console.log(`  live ${id}: no progress (${cause}); is a worker running (npm start)?`);
          }
        }
      } finally {
        await ctx.close();
      }
    });
}

export function runsCommand(context: () => Promise<CliContext>): Command {
  return new Command('runs')
    .description(
      'Recent runs of both pipelines, newest first. With a filter, the runs come from Temporal\'s search attributes (RunDate, Pipeline, Trigger, RunStep) and the query is printed for the Web UI.',
    )
    .addOption(
      new Option('-n, --limit <n>', 'how many').default(15).argParser((v) => {
        const n = /^\d{1,3}$/.test(v) ? Number(v) : NaN;
        if (!Number.isInteger(n) || n < 1 || n > 500) throw new InvalidArgumentError('--limit must be a whole number from 1 to 500.');
        return n;
      }),
    )
    .addOption(new Option('--status <status>', 'only runs that ended so (or are running)').choices([...RUN_STATUSES]))
    .addOption(new Option('--pipeline <pipeline>', 'only this pipeline').choices(['dbt', 'etl']))
    .addOption(new Option('--trigger <trigger>', 'only runs started so').choices(['schedule', 'manual', 'backfill']))
    .option('--from <YYYY-MM-DD>', 'first run date')
    .option('--to <YYYY-MM-DD>', 'last run date')
    .action(async (opts: { limit: number; status?: RunStatus; pipeline?: PipelineKey; trigger?: string; from?: string; to?: string }) => {
      const from = opts.from !== undefined ? parseRunDate(opts.from, '--from') : undefined;
      const to = opts.to !== undefined ? parseRunDate(opts.to, '--to') : undefined;
      if (from && to) checkRange(from, to, { max: LIMITS.maxLargeRangeDays });
      const filtered = Boolean(opts.status || opts.pipeline || opts.trigger || from || to);
      const ctx = await context();
      try {
        if (filtered) {
          const query = runsQuery({
            status: opts.status,
            from,
            to,
            trigger: opts.trigger,
            pipeline: opts.pipeline ? PIPELINES[opts.pipeline].name : undefined,
          });
          console.log(`Temporal query (paste into the Web UI's search): ${query}`);
          const client = await ctx.temporal();
          let n = 0;
          for await (const wf of client.workflow.list({ query })) {
            const attrs = wf.typedSearchAttributes;
            const runDate = (attrs.get(RUN_DATE)?.toISOString() ?? '').slice(0, 10);
            const ended = wf.closeTime ?? new Date();
            const seconds = Math.round((ended.getTime() - wf.startTime.getTime()) / 1000);
            console.log(
              `${wf.startTime.toISOString().slice(0, 19)}Z  ${runDate}  ${(attrs.get(PIPELINE) ?? '').padEnd(13)} ${wf.status.name.toLowerCase().padEnd(10)} ${`${seconds}s`.padStart(7)}  ${(attrs.get(TRIGGER) ?? '').padEnd(8)} ${attrs.get(RUN_STEP) ?? ''}  ${wf.workflowId}`,
            );
            if (++n >= opts.limit) break;
          }
          if (!n) console.log('no runs match');
          return;
        }
        const { rows } = await (await ctx.pool()).query<LedgerRow>(
          `SELECT pipeline, run_date::text, workflow_id, run_id, status, trigger, current_step, attempts, sla_met, error_type, error, started_at, finished_at, summary
           FROM orchestrator.pipeline_runs ORDER BY started_at DESC LIMIT $1`,
          [opts.limit],
        );
        if (!rows.length) console.log('no runs yet');
        for (const r of rows) {
          console.log(
            `${r.started_at.toISOString().slice(0, 19)}Z  ${r.run_date}  ${r.pipeline.padEnd(13)} ${r.status.padEnd(9)} ${duration(r).padStart(7)}  ${r.trigger.padEnd(8)} ${r.status === 'skipped' ? 'already succeeded before' : (r.error_type ?? '')}`,
          );
        }
      } finally {
        await ctx.close();
      }
    });
}

export function logsCommand(context: () => Promise<CliContext>): Command {
  return new Command('logs')
    .description("A run's dbt output, step by step (every attempt), from the artifacts the worker kept.")
    .argument('<pipeline>', 'dbt or etl')
    .requiredOption('-d, --date <YYYY-MM-DD>', 'the run date')
    .option('--step <step>', 'build (one dbt process per run), or run or test (runs from before the single build); default: all')
    .option('--tail <lines>', 'only the last lines of each log', '80')
    .action(async (pipeline: string, opts: { date: string; step?: string; tail: string }) => {
      if (pipeline !== 'dbt' && pipeline !== 'etl') throw new UsageError(`unknown pipeline "${pipeline}": choose dbt or etl`);
      if (opts.step !== undefined && !['build', 'run', 'test'].includes(opts.step)) throw new UsageError(`--step must be build, run or test, not "${clip(opts.step)}"`);
      const tail = parseCount(opts.tail, '--tail', 1);
      const runDate = parseRunDate(opts.date, '--date');
      const { config } = await context();
      const root = path.join(config.dbt.artifactsDir, PIPELINES[pipeline].name, runDate);
      if (!existsSync(root)) {
        throw new UsageError(`no logs for ${pipeline} ${runDate} under ${root}: the date has not run on this machine's worker (see roas status --date ${runDate})`);
      }
      // build: a run's one dbt process; run and test: the two of runs from before that.
      // Every run of the date keeps its own folder (run-<id>, oldest first), every attempt its own.
      const { attemptDirs } = await import('../../artifacts/artifacts');
      for (const step of opts.step ? [opts.step] : ['build', 'run', 'test']) {
        for (const a of attemptDirs(path.join(root, step))) {
          const log = path.join(a.dir, 'logs', 'dbt.log');
          if (!existsSync(log)) continue;
          console.log(`==> ${pipeline} ${runDate} ${step}${a.run ? ` ${a.run}` : ''} attempt-${a.attempt}: ${log}`);
          console.log(readFileSync(log, 'utf8').trimEnd().split('\n').slice(-tail).join('\n'));
        }
      }
    });
}
