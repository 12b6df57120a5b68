// The cost of a run's cut: realtime_cut.take() copying one day's events into the run's frozen
// table, in one REPEATABLE READ transaction, with one day of history beside it and then with
// more, to show the cost follows the day, not the history. Prints seconds per million events and
// writes bench/results/cut.json.   npm run bench:cut -- --events 1000000
import { Command, Option } from 'commander';
import { addDays } from '../src/core/dates';
import { loadDay } from '../src/local/generator/load';
import { benchDatabase, median, runIfMain, writeResult } from './lib';

const DAY = '2026-11-27';

export interface CutResult {
  benchmark: string;
  events: number;
  historyDays: number[];
  secondsPerCut: Record<string, number[]>;
  medianSecondsPerMillion: Record<string, number>;
}

export async function measureCut(opts: { events: number; repeat: number; history: number }): Promise<CutResult> {
  const bench = await benchDatabase('cut', 2);
  const { pool } = bench;
  const secondsPerCut: Record<string, number[]> = {};
  const medianSecondsPerMillion: Record<string, number> = {};
  // Distinct: a second cut under the same run ID is the first one returned again, not a new cut.
  const historyDays = [...new Set([1, opts.history])];
  try {
    await loadDay(pool, { date: DAY, events: opts.events, seed: 1 });
    let loaded = 1;
    for (const days of historyDays) {
      // More days of events beside the cut day: the cut should not notice them.
      for (; loaded < days; loaded++) await loadDay(pool, { date: addDays(DAY, -loaded), events: opts.events, seed: loaded + 1 });
      const times: number[] = [];
      for (let i = 0; i < opts.repeat; i++) {
        const client = await pool.connect();
        try {
          const t = process.hrtime.bigint();
          await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
          await client.query('SELECT * FROM realtime_cut.take($1::date, $2, $3, $4)', [DAY, 'bench', `run-${days}-${i}`, 'manual']);
          await client.query('COMMIT');
          times.push(Number(process.hrtime.bigint() - t) / 1e9);
        } finally {
          client.release();
        }
        process.stderr.write(`\rcut: ${days} day(s) of history, ${i + 1}/${opts.repeat}   `);
      }
      secondsPerCut[`${days}d`] = times;
      medianSecondsPerMillion[`${days}d`] = Math.round((median(times) / (opts.events / 1e6)) * 1000) / 1000;
    }
  } finally {
    process.stderr.write('\n');
    await bench.drop();
  }
  return { benchmark: 'cut', events: opts.events, historyDays, secondsPerCut, medianSecondsPerMillion };
}

runIfMain(import.meta.url, async () => {
  const opts = new Command()
    .addOption(new Option('--events <n>', 'events of the day').default(1_000_000).argParser(Number))
    .addOption(new Option('--repeat <n>', 'cuts per history size').default(3).argParser(Number))
    .addOption(new Option('--history <days>', 'days of events in the table for the second measurement').default(4).argParser(Number))
    .parse()
    .opts<{ events: number; repeat: number; history: number }>();
  const r = await measureCut(opts);
  for (const [k, v] of Object.entries(r.medianSecondsPerMillion)) console.log(`cut of ${r.events.toLocaleString('en-US')} events, ${k} of history: ${v} s per million events (runs: ${r.secondsPerCut[k]!.map((x) => x.toFixed(2)).join(', ')} s)`);
  writeResult('cut.json', r);
});
