// Is a daily run's cost flat in history? Times `dbt run` for one date with 1 day of events in
// realtime (and analytics), then again after N more days were loaded and run, at the same
// events per day. Prints a table and writes bench/results/dbt-history.json.
//   npm run bench:dbt-history -- --events 1000000 --days 30
import path from 'node:path';
import { Command, Option } from 'commander';
import { createDbtRunner } from '../activities/dbt/runner';
import { readRunResults } from '../activities/dbt/run-results';
import { exitOnError } from '../src/cli-errors';
import { PROJECT_ROOT } from '../src/config';
import { addDays } from '../src/dates';
import { loadDay } from '../src/generator/load';
import { benchDatabase, writeResult } from './lib';

async function main(): Promise<void> {
  const opts = new Command('bench:dbt-history')
    .addOption(new Option('--events <n>', 'events per day').default(1_000_000).argParser(Number))
    .addOption(new Option('--days <n>', 'days of history for the second measurement').default(30).argParser(Number))
    .parse()
    .opts<{ events: number; days: number }>();
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
      process.stderr.write(`\rhistory: ${d + 1}/${opts.days} days (${Math.round(loaded.eventsPerSecond).toLocaleString('en-US')} events/s)`);
    }
    process.stderr.write('\n');
    const manyDays = await dbtRun(target, `history-${opts.days + 1}`);
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM analytics.stg_ad_events');

    const result = {
      benchmark: 'dbt run for one date against history size',
      date: new Date().toISOString(),
      eventsPerDay: opts.events,
      stagingRowsAtEnd: Number(rows[0]!.n),
      oneDayOfHistory: oneDay,
      history: { days: opts.days + 1, ...manyDays },
      ratio: manyDays.wallSeconds / oneDay.wallSeconds,
    };
    console.log('');
    console.log(`dbt run --select tag:daily_run for ${target}, ${opts.events.toLocaleString('en-US')} events per day`);
    console.log('history in realtime + analytics | wall (s) | models (s)');
    console.log(`1 day                           | ${oneDay.wallSeconds.toFixed(2).padStart(8)} | ${oneDay.modelSeconds.toFixed(2).padStart(10)}`);
    console.log(`${String(opts.days + 1).padEnd(2)} days                         | ${manyDays.wallSeconds.toFixed(2).padStart(8)} | ${manyDays.modelSeconds.toFixed(2).padStart(10)}`);
    console.log(`ratio ${result.ratio.toFixed(2)} (1.00 = flat)`);
    writeResult('dbt-history.json', result);
  } finally {
    await bench.drop();
  }
}

main().catch(exitOnError);
