// Is a daily run's cost flat in history? Times the daily run of one date (dbt run into the audit
// schema, dbt test, publish as a partition exchange) with 1 day of events in realtime and
// analytics, then again after N more days were loaded, run and published, at the same events
// per day. Each measured run re-runs a date that is already published, so publishing replaces
// a day. Prints a table and writes bench/results/dbt-history.json.
//   npm run bench:dbt-history -- --events 1000000 --days 30
import path from 'node:path';
import { Command, Option } from 'commander';
import { createPublishActivities } from '../activities/dbt/publish';
import { createDbtRunner } from '../activities/dbt/runner';
import { readRunResults } from '../src/artifacts/run-results';
import { PROJECT_ROOT } from '../src/platform/config';
import { addDays } from '../src/core/dates';
import { loadDay } from '../src/local/generator/load';
import { benchDatabase, median, runIfMain, writeResult } from './lib';

export interface HistoryResult {
  benchmark: string;
  date: string;
  eventsPerDay: number;
  runDate: string;
  stagingRowsAtEnd: number;
  /** Medians of `repeats` runs, each after VACUUM ANALYZE, so autovacuum of fresh days is not measured. */
  repeats: number;
  oneDayOfHistory: Timing;
  history: { days: number } & Timing;
  ratio: number;
  modelRatio: number;
}

interface Timing {
  /** dbt run + dbt test + publish. */
  wallSeconds: number;
  runSeconds: number;
  testSeconds: number;
  publishSeconds: number;
  modelSeconds: number;
  /** Each model's own time (median). */
  byModel: Record<string, number>;
}

export async function measureHistory(opts: { events: number; days: number; repeats?: number }): Promise<HistoryResult> {
  const repeats = opts.repeats ?? 3;
  const bench = await benchDatabase('history');
  const { config, tools, url, pool } = bench;
  const runner = createDbtRunner({ dbtBin: tools.dbt, projectDir: path.join(PROJECT_ROOT, 'dbt'), databaseUrl: url, threads: config.dbt.threads });
  const artifacts = path.join(config.localDir, 'bench', bench.name);

  const publisher = createPublishActivities({ pool });
  const dbtRun = async (date: string, label: string, opts: { test?: boolean } = {}) => {
    const targetPath = path.join(artifacts, `${date}-${label}`);
    const r = await runner({ command: 'run', targetPath, select: ['tag:daily_run'], runDate: date });
    if (r.exitCode !== 0) throw new Error(`dbt run failed for ${date}: ${r.rawOutput}`);
    const nodes = readRunResults(targetPath)?.nodes ?? [];
    let testSeconds = 0;
    if (opts.test !== false) {
      const t = await runner({
        command: 'test',
        targetPath: `${targetPath}-test`,
        select: ['tag:daily_run'],
        runDate: date,
        extraArgs: ['--exclude', 'test_type:unit', '--indirect-selection', 'cautious'],
      });
      if (t.exitCode !== 0) throw new Error(`dbt test failed for ${date}: ${t.rawOutput}`);
      testSeconds = t.durationMs / 1000;
    }
    const published = await publisher.publishDay({ pipeline: 'dbt_daily_run', runDate: date, tag: 'daily_run' });
    const runSeconds = r.durationMs / 1000;
    const publishSeconds = published.milliseconds / 1000;
    return { wallSeconds: runSeconds + testSeconds + publishSeconds, runSeconds, testSeconds, publishSeconds, nodes };
  };
  // The same state before every measurement: statistics fresh, no vacuum debt from days just
  // loaded (on 2 cores autovacuum would otherwise compete with the measured run).
  const measure = async (date: string, label: string): Promise<Timing> => {
    const runs: Awaited<ReturnType<typeof dbtRun>>[] = [];
    for (let i = 0; i < repeats; i++) {
      await pool.query('VACUUM (ANALYZE)');
      runs.push(await dbtRun(date, `${label}-${i + 1}`));
    }
    const names = [...new Set(runs.flatMap((r) => r.nodes.map((n) => n.name)))];
    return {
      wallSeconds: median(runs.map((r) => r.wallSeconds)),
      runSeconds: median(runs.map((r) => r.runSeconds)),
      testSeconds: median(runs.map((r) => r.testSeconds)),
      publishSeconds: median(runs.map((r) => r.publishSeconds)),
      modelSeconds: median(runs.map((r) => r.nodes.reduce((s, n) => s + n.executionSeconds, 0))),
      byModel: Object.fromEntries(names.map((name) => [name, median(runs.map((r) => r.nodes.find((n) => n.name === name)?.executionSeconds ?? 0))])),
    };
  };

  try {
    const first = '2026-10-01';
    const target = addDays(first, opts.days);
    await runner({ command: 'seed', targetPath: path.join(artifacts, 'seed') });
    // `dbt run` builds models only; the ROAS function they call is built once, as `dbt build` would.
    await runner({ command: 'build', targetPath: path.join(artifacts, 'functions'), select: ['resource_type:function'] });
    await loadDay(pool, { date: target, events: opts.events, seed: 1 });
    await dbtRun(target, 'warmup');
    const oneDay = await measure(target, 'history-1');

    for (let d = 0; d < opts.days; d++) {
      const date = addDays(first, d);
      const loaded = await loadDay(pool, { date, events: opts.events, seed: 1 });
      await dbtRun(date, 'fill', { test: false });
      process.stderr.write(`\rhistory: ${d + 1}/${opts.days} days (${Math.round(loaded.eventsPerSecond).toLocaleString('en-US')} events/s)   `);
    }
    process.stderr.write('\n');
    const manyDays = await measure(target, `history-${opts.days + 1}`);
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM analytics.stg_ad_events');
    return {
      benchmark: 'daily run (dbt run, dbt test, publish) of one date against history size',
      date: new Date().toISOString(),
      eventsPerDay: opts.events,
      runDate: target,
      stagingRowsAtEnd: Number(rows[0]!.n),
      repeats,
      oneDayOfHistory: oneDay,
      history: { days: opts.days + 1, ...manyDays },
      ratio: manyDays.wallSeconds / oneDay.wallSeconds,
      modelRatio: manyDays.modelSeconds / oneDay.modelSeconds,
    };
  } finally {
    await bench.drop();
  }
}

export function printHistory(r: HistoryResult): void {
  console.log('');
  console.log(`daily run (dbt run + dbt test + publish) of ${r.runDate}, re-run over its published day, ${r.eventsPerDay.toLocaleString('en-US')} events per day`);
  console.log('history in realtime + analytics | wall (s) | models (s) | run (s) | test (s) | publish (s)');
  const line = (label: string, t: Timing) =>
    console.log(
      `${label.padEnd(32)}| ${t.wallSeconds.toFixed(2).padStart(8)} | ${t.modelSeconds.toFixed(2).padStart(10)} | ${t.runSeconds.toFixed(2).padStart(7)} | ${t.testSeconds.toFixed(2).padStart(8)} | ${t.publishSeconds.toFixed(3).padStart(11)}`,
    );
  line('1 day', r.oneDayOfHistory);
  line(`${r.history.days} days`, r.history);
  for (const name of Object.keys(r.history.byModel)) {
    console.log(`  ${name.padEnd(30)}| ${''.padStart(8)} | ${(r.oneDayOfHistory.byModel[name] ?? 0).toFixed(2).padStart(10)} → ${r.history.byModel[name]!.toFixed(2)}`);
  }
  console.log(`ratio ${r.ratio.toFixed(2)} wall, ${r.modelRatio.toFixed(2)} models (1.00 = flat; medians of ${r.repeats}, each after VACUUM ANALYZE)`);
}

runIfMain(import.meta.url, async () => {
  const opts = new Command('bench:dbt-history')
    .addOption(new Option('--events <n>', 'events per day').default(1_000_000).argParser(Number))
    .addOption(new Option('--days <n>', 'days of history for the second measurement').default(30).argParser(Number))
    .addOption(new Option('--repeats <n>', 'runs per measurement (median)').default(3).argParser(Number))
    .parse()
    .opts<{ events: number; days: number; repeats: number }>();
  const result = await measureHistory(opts);
  printHistory(result);
  writeResult('dbt-history.json', result);
});
