import { Command, InvalidArgumentError, Option } from 'commander';
import { daysBetween, parseRunDate } from '../../core/dates';
import { UsageError } from '../../core/errors';
import { checkRange, clip } from '../../core/limits';
import { DEFECTS, type Defect } from '../../local/generator/defects';
import type { CliContext } from './context';

const MAX_EVENTS_PER_DAY = 50_000_000;

function positiveInt(name: string, max: number) {
  return (value: string) => {
    const n = /^\d{1,13}$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > max) throw new InvalidArgumentError(`${name} must be a whole number from 0 to ${max}.`);
    return n;
  };
}

function defectList(value: string, previous: Defect[] = []): Defect[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (!names.length) throw new InvalidArgumentError(`name at least one defect: ${DEFECTS.join(', ')}.`);
  for (const d of names) {
    if (!(DEFECTS as readonly string[]).includes(d)) {
      throw new InvalidArgumentError(`unknown defect "${clip(d)}"; choose from ${DEFECTS.join(', ')}.`);
    }
    previous.push(d as Defect);
  }
  return previous;
}

export function generateEventsCommand(getContext: () => Promise<CliContext>): Command {
  return new Command('generate-events')
    .description(
      'The Flink stand-in: write realistic ad events into realtime.ad_events for a UTC day or a range of days. ' +
        "Each day's partition is replaced in one transaction (same seed, same rows).",
    )
    .requiredOption('-d, --date <YYYY-MM-DD>', 'the UTC day, or the first day of a range')
    .option('--to <YYYY-MM-DD>', 'last day of the range (inclusive)')
    .addOption(new Option('-n, --events <count>', 'events per day').default(100_000).argParser(positiveInt('--events', MAX_EVENTS_PER_DAY)))
    .addOption(new Option('-s, --seed <number>', 'random seed').default(42).argParser(positiveInt('--seed', 2 ** 31)))
    .option('--defect <names>', `inject defects for tests (comma-separated): ${DEFECTS.join(', ')}`, defectList)
    .option('--allow-large-range', 'allow a range of more than 92 days', false)
    .option('--append', "add to the day's events instead of replacing them (as the ingest role, which may only insert; replacing a day is the owner's)", false)
    .addOption(
      new Option('--late-share <share>', "share of the day's events the stream delivers late (minutes to 3 days after the day): held back, written by --deliver-late")
        .default(0.002)
        .argParser((v) => {
          const n = Number(v);
          if (!/^\d*\.?\d+$/.test(v) || n < 0 || n > 0.5) throw new InvalidArgumentError('--late-share must be a share from 0 to 0.5, e.g. 0.002.');
          return n;
        }),
    )
    .option('--deliver-late', "write only the day's late deliveries (held back by an earlier call with the same --events, --seed and --late-share), appended as the ingest role", false)
    .option(
      '--complete',
      "after each day, write its completion marker into realtime.flink_batches as the Flink job does (the worker hears it and starts the day's waiting dbt run)",
      false,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  roas generate-events --date 2026-11-27 --events 1000000\n  roas generate-events --date 2026-11-01 --to 2026-11-27 --events 200000 --seed 7\n  roas generate-events --date 2026-11-27 --events 20000 --defect duplicates,negative-cost\n  roas generate-events --date 2026-11-25 --to 2026-11-27 --events 100000 --complete\n  roas generate-events --date 2026-11-27 --events 100000 --deliver-late   (the late deliveries held back above)',
    )
    .action(async (opts: { date: string; to?: string; events: number; seed: number; defect?: Defect[]; append: boolean; complete: boolean; lateShare: number; deliverLate: boolean; allowLargeRange: boolean }) => {
      if (opts.deliverLate && opts.complete) throw new UsageError('--deliver-late writes rows after the day was reported complete: leave out --complete.');
      const append = opts.append || opts.deliverLate;
      const from = parseRunDate(opts.date, '--date');
      const to = opts.to !== undefined ? parseRunDate(opts.to, '--to') : from;
      checkRange(from, to, { what: '--date/--to', allowLarge: opts.allowLargeRange });
      const days = daysBetween(from, to);
      const ctx = await getContext();
      const [{ FlinkMarkerRefused, recordFlinkComplete }, { loadDay }] = await Promise.all([import('../../client/flink-complete'), import('../../local/generator/load')]);
      // Appending is what Flink does: inserts, as the ingest role. Replacing a day empties its
      // partition first, which only the owner may (DATABASE_URL, or the local cluster's owner).
      const pool = await ctx.pool(append ? 'ingest' : 'owner');
      try {
        let total = 0;
        let seconds = 0;
        for (const date of days) {
          const r = await loadDay(pool, {
            date,
            events: opts.events,
            seed: opts.seed,
            defects: opts.defect ?? [],
            append,
            lateShare: opts.lateShare,
            deliver: opts.deliverLate ? 'late' : 'on-time',
          });
          total += r.rows;
          seconds += r.seconds;
          console.log(`${date}  ${r.rows.toLocaleString('en-US').padStart(12)} events  ${r.seconds.toFixed(2)}s  ${Math.round(r.eventsPerSecond).toLocaleString('en-US')} events/s`);
          if (opts.complete) {
            try {
              // The marker as `roas flink-complete` writes it: checked against the day, as the orchestrator.
              const m = await recordFlinkComplete(await ctx.pool('orchestrator'), { runDate: date, rowCount: r.rows, jobId: 'roas-generate-events', allowEmpty: r.rows === 0 });
              console.log(`            marker: ${m.outcome} (${m.rowCount.toLocaleString('en-US')} events)${m.note ? `; warning: ${m.note}` : ''}`);
            } catch (err) {
              if (!(err instanceof FlinkMarkerRefused)) throw err;
              console.error(`            marker not written: ${err.message}`);
              process.exitCode = 1;
            }
          }
        }
        if (days.length > 1) {
          console.log(`total       ${total.toLocaleString('en-US').padStart(12)} events  ${seconds.toFixed(2)}s  ${Math.round(total / seconds).toLocaleString('en-US')} events/s (${days.length} days, ${from}..${to})`);
        }
      } finally {
        await ctx.close();
      }
    });
}
