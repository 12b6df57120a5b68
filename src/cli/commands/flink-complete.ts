import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { Command, Option } from 'commander';
import { daysBetween, parseRunDate } from '../../core/dates';
import { UsageError } from '../../core/errors';
import { checkRange, clip, parseCount, parseText } from '../../core/limits';
import type { FlinkCompleteRecord } from '../../client/flink-complete';
import type { CliContext } from './context';

async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch {
    return false;
  }
}

/** A watermark is an ISO 8601 timestamp within a few days of the day it closes (anything else is a typo). */
function checkWatermark(value: string, runDate: string): void {
  const t = Date.parse(value);
  const dayEnd = Date.parse(`${runDate}T00:00:00Z`) + 86_400_000;
  if (!/^\d{4}-\d{2}-\d{2}[T ]/.test(value) || Number.isNaN(t)) {
    throw new UsageError(`--watermark "${clip(value)}" is not a timestamp: write it as ISO 8601, e.g. 2026-11-28T00:00:00Z`);
  }
  if (Math.abs(t - dayEnd) > 30 * 86_400_000) {
    throw new UsageError(`--watermark ${clip(value)} is more than 30 days from the end of ${runDate}: give the watermark that closed the day`);
  }
}

function describe(r: FlinkCompleteRecord): string {
  const n = r.rowCount.toLocaleString('en-US');
  switch (r.outcome) {
    case 'recorded':
      return `recorded: ${r.runDate} complete (${n} events)`;
    case 'replaced':
      return `replaced: ${r.runDate} is now complete with ${n} events (the earlier record is kept in realtime.flink_batch_history)`;
    case 'repeated':
      return `already recorded: ${r.runDate} was reported complete at ${r.completedAt} with the same count; nothing changed`;
    case 'conflicting':
      return `already recorded: ${r.runDate} was reported complete at ${r.completedAt} with ${n} events; the first record stands (to correct it: --replace)`;
  }
}

export function flinkCompleteCommand(context: () => Promise<CliContext>): Command {
  return new Command('flink-complete')
    .description(
      'Record that Flink has written every event of a UTC day (or of each day of a range), as the Flink job does with its marker row ' +
        'in realtime.flink_batches, and wake the dbt run waiting for it. A marker for a day that has not ended, or of 0 events while the ' +
        'day has events, is refused; one whose count disagrees with the data is recorded with a warning. The first record of a day ' +
        'stands; --replace corrects it (every record is kept in realtime.flink_batch_history).',
    )
    .option('-d, --date <YYYY-MM-DD>', 'the completed UTC day')
    .option('--from <YYYY-MM-DD>', 'first day of a range (with --to)')
    .option('--to <YYYY-MM-DD>', 'last day of a range, inclusive')
    .addOption(
      new Option('--row-count <n>', 'events Flink wrote for the day (default: counted from realtime.ad_events)').argParser((v) => parseCount(v, '--row-count')),
    )
    .option('--watermark <timestamp>', 'event-time watermark the job reached, ISO 8601 (default: end of the day)')
    .option('--job-id <id>', 'the Flink job id, for the record', 'roas-cli')
    .option('--replace', 'replace an earlier record of the day (the old one stays in the history)', false)
    .option('--allow-empty', 'record a day that has no events at all', false)
    .option('--allow-large-range', 'allow a range of more than 92 days', false)
    .addHelpText(
      'after',
      '\nExamples:\n  roas flink-complete --date 2026-11-27\n  roas flink-complete --from 2026-11-25 --to 2026-11-27\n' +
        '  roas flink-complete --date 2026-11-27 --row-count 1000000 --job-id flink-ad-events-7f3a\n' +
        '  roas flink-complete --date 2026-11-27 --replace          # re-count a day recorded too early',
    )
    .action(
      async (opts: FlinkCompleteOptions) => {
        const days = daysOf(opts);
        const ctx = await context();
        try {
          const pool = await ctx.pool();
          const { recorded, refused } = await recordDays(pool, days, opts);
          if (recorded.length) await wakeGates(ctx, recorded);
          if (refused) process.exitCode = 2;
        } finally {
          await ctx.close();
        }
      },
    );
}

interface FlinkCompleteOptions {
  date?: string;
  from?: string;
  to?: string;
  rowCount?: number;
  watermark?: string;
  jobId: string;
  replace: boolean;
  allowEmpty: boolean;
  allowLargeRange: boolean;
}

/** The days the command records: --date, or --from..--to within the range limit; the options checked against them. */
function daysOf(opts: FlinkCompleteOptions): string[] {
  let days: string[];
  if (opts.date !== undefined) {
    if (opts.from !== undefined || opts.to !== undefined) throw new UsageError('give either --date, or --from and --to, not both');
    days = [parseRunDate(opts.date, '--date')];
  } else {
    if (opts.from === undefined || opts.to === undefined) throw new UsageError('say which day: --date YYYY-MM-DD, or a range with --from and --to');
    const from = parseRunDate(opts.from, '--from');
    const to = parseRunDate(opts.to, '--to');
    checkRange(from, to, { allowLarge: opts.allowLargeRange });
    days = daysBetween(from, to);
  }
  if (days.length > 1 && (opts.rowCount !== undefined || opts.watermark !== undefined)) {
    throw new UsageError('--row-count and --watermark describe one day: use them with --date');
  }
  if (opts.watermark !== undefined) checkWatermark(opts.watermark, days[0]!);
  parseText(opts.jobId, '--job-id');
  return days;
}

/** Records each day's marker, saying what happened to each; a refused day is counted, never thrown. */
async function recordDays(pool: Pool, days: string[], opts: FlinkCompleteOptions): Promise<{ recorded: string[]; refused: number }> {
  const { FlinkMarkerRefused, recordFlinkComplete } = await import('../../client/flink-complete');
  const recorded: string[] = [];
  let refused = 0;
  for (const runDate of days) {
    try {
      const record = await recordFlinkComplete(pool, { runDate, rowCount: opts.rowCount, watermark: opts.watermark, jobId: opts.jobId, replace: opts.replace, allowEmpty: opts.allowEmpty });
      console.log(describe(record));
      if (record.note) console.log(`  warning: ${record.note}; the run goes ahead and its alert says so`);
      if (record.outcome === 'recorded' || record.outcome === 'replaced') recorded.push(runDate);
    } catch (err) {
      if (!(err instanceof FlinkMarkerRefused)) throw err;
      console.error(`refused: ${err.message}`);
      refused++;
    }
  }
  return { recorded, refused };
}

/** Wakes the run waiting at each recorded day's gate; the record is the durable half, so a failure here only warns. */
async function wakeGates(ctx: CliContext, recorded: string[]): Promise<void> {
  const { signalFlinkGate } = await import('../../client/flink-complete');
  const { workflowIds } = await import('../../core/signals');
  try {
    const client = await ctx.temporal();
    for (const runDate of recorded) {
      if (await signalFlinkGate(client, runDate)) {
        console.log(`signalled: the dbt run waiting for ${runDate} starts now`);
      } else if (await isRunning(client, workflowIds.dbtDailyRun(runDate))) {
        // The worker heard the row (LISTEN/NOTIFY) and opened the gate before this signal.
        console.log(`the dbt run of ${runDate} is under way: its gate opened on the record`);
      } else {
        console.log(`no run is waiting for ${runDate}; a run that starts will see the record`);
      }
    }
  } catch (err) {
    // The worker hears the record, and a waiting gate re-checks the table.
    console.warn(`warning: could not signal Temporal (${(err as Error).message}); a waiting run will find the record at its next re-check`);
  }
}
