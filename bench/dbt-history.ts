// Is a daily run's cost flat in history? Times `dbt run` for one date with 1 day of events in
// realtime (and analytics), then again after N more days were loaded and run, at the same
// events per day. Prints a table and writes bench/results/dbt-history.json.
//   npm run bench:dbt-history -- --events 1000000 --days 30
import path from 'node:path';
import { Command, Option } from 'commander';
import { createDbtRunner } from '../activities/dbt/runner';
import { readRunResults } from '../activities/dbt/run-results';
import { PROJECT_ROOT } from '../src/config';
import { addDays } from '../src/dates';
import { loadDay } from '../src/generator/load';
import { benchDatabase, runIfMain, writeResult } from './lib';

export interface HistoryResult {
  benchmark: string;
  date: string;
  eventsPerDay: number;
  runDate: string;
  stagingRowsAtEnd: number;
  oneDayOfHistory: { wallSeconds: number; modelSeconds: number };
  history: { days: number; wallSeconds: number; modelSeconds: number };
  ratio: number;
}

export async function measureHistory(opts: { events: number; days: number }): Promise<HistoryResult> {
  const bench = await benchDatabase('history');
  const { config, tools, url, pool } = bench;
  const runner = createDbtRunner({ dbtBin: tools.dbt, projectDir: path.join(PROJECT_ROOT, 'dbt'), databaseUrl: url, threads: config.dbt.threads });
  const artifacts = path.join(config.localDir, 'bench', bench.name);

  const dbtRun = async (date: string, label: string) => {
    const targetPath = path.join(artifacts, `${date}-${label}`);
    const r = await runner({ command: 'run', targetPath, select: ['tag:daily_run'], vars: { run_date: date } });
    if (r.exitCode !== 0) throw new Error(`dbt run failed for ${date}: ${r.rawOutput}`);
    const nodes = readRunResults(targetPath)?.nodes ?? [];
    return { wallSeconds: r.durationMs / 1000, modelSeconds: nodes.reduce((s, n) => s + n.executionSeconds, 0) };
  };

  try {
    const first = '2026-10-01';
    const target = addDays(first, opts.days);
    await runner({ command: 'seed', targetPath: path.join(artifacts, 'seed') });
    await loadDay(pool, { date: target, events: opts.events, seed: 1 });
    await dbtRun(target, 'warmup');
    const oneDay = await dbtRun(target, 'history-1');

    for (let d = 0; d < opts.days; d++) {
      const date = addDays(first, d);
      const loaded = await loadDay(pool, { date, events: opts.events, seed: 1 });
      await dbtRun(date, 'fill');
      process.stderr.write(`\rhistory: ${d + 1}/${opts.days} days (${Math.round(loaded.eventsPerSecond).toLocaleString('en-US')} events/s)   `);
    }
    process.stderr.write('\n');
    const manyDays = await dbtRun(target, `history-${opts.days + 1}`);
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM analytics.stg_ad_events');
    return {
      benchmark: 'dbt run for one date against history size',
      date: new Date().toISOString(),
      eventsPerDay: opts.events,
      runDate: target,
      stagingRowsAtEnd: Number(rows[0]!.n),
      oneDayOfHistory: oneDay,
      history: { days: opts.days + 1, ...manyDays },
      ratio: manyDays.wallSeconds / oneDay.wallSeconds,
    };
  } finally {
    await bench.drop();
  }
}

export function printHistory(r: HistoryResult): void {
  console.log('');
  console.log(`dbt run --select tag:daily_run for ${r.runDate}, ${r.eventsPerDay.toLocaleString('en-US')} events per day`);
  console.log('history in realtime + analytics | wall (s) | models (s)');
  console.log(`1 day                           | ${r.oneDayOfHistory.wallSeconds.toFixed(2).padStart(8)} | ${r.oneDayOfHistory.modelSeconds.toFixed(2).padStart(10)}`);
  console.log(`${String(r.history.days).padEnd(2)} days                         | ${r.history.wallSeconds.toFixed(2).padStart(8)} | ${r.history.modelSeconds.toFixed(2).padStart(10)}`);
  console.log(`ratio ${r.ratio.toFixed(2)} (1.00 = flat)`);
}

runIfMain(import.meta.url, async () => {
  const opts = new Command('bench:dbt-history')
    .addOption(new Option('--events <n>', 'events per day').default(1_000_000).argParser(Number))
    .addOption(new Option('--days <n>', 'days of history for the second measurement').default(30).argParser(Number))
    .parse()
    .opts<{ events: number; days: number }>();
  const result = await measureHistory(opts);
  printHistory(result);
  writeResult('dbt-history.json', result);
});
