import { Command, InvalidArgumentError, Option } from 'commander';
import { parseRunDate } from '../dates';
import { UsageError } from '../errors';
import { recordFlinkComplete, signalFlinkGate } from '../flink-complete';
import type { CliContext } from './context';

export function flinkCompleteCommand(context: () => CliContext): Command {
  return new Command('flink-complete')
    .description(
      'The hook the Flink job calls when a UTC day is complete: records the day in realtime.flink_batches ' +
        '(idempotent: the first record stands) and wakes the dbt run waiting for it, if any.',
    )
    .requiredOption('-d, --date <YYYY-MM-DD>', 'the completed UTC day')
    .addOption(
      new Option('--row-count <n>', 'events Flink wrote for the day (default: counted from realtime.ad_events)').argParser((v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('--row-count must be a whole number, 0 or more.');
        return n;
      }),
    )
    .option('--watermark <timestamp>', 'event-time watermark the job reached, ISO 8601 (default: end of the day)')
    .option('--job-id <id>', 'the Flink job id, for the record', 'roas-cli')
    .addHelpText('after', '\nExample:\n  roas flink-complete --date 2026-11-27\n  roas flink-complete --date 2026-11-27 --row-count 1000000 --job-id flink-ad-events-7f3a')
    .action(async (opts: { date: string; rowCount?: number; watermark?: string; jobId: string }) => {
      const runDate = parseRunDate(opts.date, '--date');
      if (opts.watermark !== undefined && Number.isNaN(Date.parse(opts.watermark))) {
        throw new UsageError(`--watermark "${opts.watermark}" is not a timestamp: write it as ISO 8601, e.g. 2026-11-28T00:00:00Z`);
      }
      const ctx = context();
      try {
        const record = await recordFlinkComplete(await ctx.pool(), { runDate, rowCount: opts.rowCount, watermark: opts.watermark, jobId: opts.jobId });
        console.log(
          record.inserted
            ? `recorded: ${runDate} complete (${record.rowCount.toLocaleString('en-US')} events)`
            : `already recorded: ${runDate} was reported complete at ${record.completedAt}; nothing changed`,
        );
        try {
          const signalled = await signalFlinkGate(await ctx.temporal(), runDate);
          console.log(signalled ? `signalled: the dbt run waiting for ${runDate} starts now` : `no run is waiting for ${runDate}; a run that starts will see the record`);
        } catch (err) {
          // The record is the durable half: a waiting gate re-checks the table on its own.
          console.warn(`warning: could not signal Temporal (${(err as Error).message}); a waiting run will find the record at its next re-check`);
        }
      } finally {
        await ctx.close();
      }
    });
}
