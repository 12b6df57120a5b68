// npm run bench: every benchmark of the project in one go, on the real stack, then one table
// and bench/results/bench.json. Each part is also its own script (npm run bench:<name>).
//   npm run bench                 the full set (about 20 minutes on 2 cores)
//   npm run bench -- --quick      smaller sizes, to check that everything works (a few minutes)
import os from 'node:os';
import { Command } from 'commander';
import { execa } from 'execa';
import { loadConfig } from '../src/platform/config';
import { createLogger } from '../src/platform/logger';
import { startPostgres } from '../src/local/stack/postgres';
import { ensureVenv } from '../src/local/stack/venv';
import { measureBackfill, printBackfill } from './backfill';
import { measureDashboard, printDashboard } from './dashboard';
import { measureCliStartup, printCliStartup } from './cli-startup';
import { measureDailyRuns, printDailyRuns } from './daily-run';
import { measureHistory, printHistory } from './dbt-history';
import { measureFlinkLatency, printFlinkLatency } from './flink-latency';
import { measureGenerator, printGenerator } from './generator';
import { benchStack, runIfMain, writeResult } from './lib';
import { measureWorkerRss, printWorkerRss } from './worker-rss';

interface Plan {
  generatorEvents: number;
  sizes: number[];
  historyEvents: number;
  historyDays: number;
  latencyRuns: number;
  latencyEvents: number;
  backfillDays: number;
  backfillEvents: number;
  rssEvents: number;
  cliRuns: number;
  dashboardDays: number;
  dashboardRequests: number;
}

const FULL: Plan = {
  generatorEvents: 1_000_000,
  sizes: [100_000, 1_000_000, 5_000_000],
  historyEvents: 1_000_000,
  historyDays: 30,
  latencyRuns: 10,
  latencyEvents: 20_000,
  backfillDays: 7,
  backfillEvents: 1_000_000,
  rssEvents: 1_000_000,
  cliRuns: 20,
  dashboardDays: 365,
  dashboardRequests: 20,
};

const QUICK: Plan = {
  generatorEvents: 200_000,
  sizes: [20_000, 100_000],
  historyEvents: 50_000,
  historyDays: 5,
  latencyRuns: 3,
  latencyEvents: 10_000,
  backfillDays: 3,
  backfillEvents: 20_000,
  rssEvents: 100_000,
  cliRuns: 5,
  dashboardDays: 60,
  dashboardRequests: 5,
};

async function machine() {
  const config = loadConfig({ LOG_LEVEL: 'warn' });
  const tools = await ensureVenv(config, createLogger('silent'));
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    dbt: /installed:\s*(\S+)/.exec((await execa(tools.dbt, ['--version'], { reject: false })).stdout)?.[1] ?? 'unknown',
    dbtThreads: config.dbt.threads,
  };
}

runIfMain(import.meta.url, async () => {
  const { quick } = new Command('bench').option('--quick', 'smaller sizes, a few minutes').parse().opts<{ quick?: boolean }>();
  const plan = quick ? QUICK : FULL;
  const started = Date.now();
  // One PostgreSQL for every part (each part makes and drops its own database).
  const config = loadConfig({ LOG_LEVEL: 'warn' });
  const postgres = await startPostgres(config, createLogger('silent'));
  try {
    const env = await machine();
    const generator = await measureGenerator({ events: plan.generatorEvents, repeat: 3 });
    const stack = await benchStack('all');
    let dailyRuns, latency, backfills;
    try {
      dailyRuns = await measureDailyRuns(stack, { sizes: plan.sizes });
      latency = await measureFlinkLatency(stack, { runs: plan.latencyRuns, events: plan.latencyEvents });
      backfills = await measureBackfill(stack, { days: plan.backfillDays, events: plan.backfillEvents });
    } finally {
      await stack.close();
    }
    const history = await measureHistory({ events: plan.historyEvents, days: plan.historyDays });
    const rss = await measureWorkerRss({ events: plan.rssEvents });
    const cli = measureCliStartup({ runs: plan.cliRuns });
    const dashboard = await measureDashboard({ days: plan.dashboardDays, requests: plan.dashboardRequests });

    printGenerator(generator);
    printDailyRuns(dailyRuns);
    printHistory(history);
    printFlinkLatency(latency);
    printBackfill(backfills);
    printWorkerRss(rss);
    printCliStartup(cli);
    printDashboard(dashboard);

    const summary: [string, string, string][] = [
      ['generator throughput (generate + COPY)', `${Math.round(generator.medianWithCopy).toLocaleString('en-US')} events/s`, '≥ 200,000 events/s'],
      ...dailyRuns.map((r): [string, string, string] => [
        `daily run, ${r.events.toLocaleString('en-US')} events`,
        `${(r.wallMs / 1000).toFixed(1)} s with roas run --wait (dbt's own ${(r.dbtElapsedMs / 1000).toFixed(1)} s, fixed ${(r.fixedMs / 1000).toFixed(1)} s)`,
        `SQL floor ${(r.floorMs / 1000).toFixed(2)} s → ${r.ratioRunToFloor.toFixed(1)}×; target: fixed ≤ 3 s`,
      ]),
      [`dbt run, ${history.history.days} days of history vs 1`, `${history.history.wallSeconds.toFixed(2)} s vs ${history.oneDayOfHistory.wallSeconds.toFixed(2)} s`, `ratio ${history.ratio.toFixed(2)} wall, ${history.modelRatio.toFixed(2)} models (1.00 = flat)`],
      ['Flink marker row → dbt process start', `p50 ${latency.markerToDbtSpawnMs.p50} ms, p95 ${latency.markerToDbtSpawnMs.p95} ms`, '< 1 s; Airflow sensor: 60 s poke'],
      ['flink-complete → dbt process start', `p50 ${latency.hookToDbtSpawnMs.p50} ms, p95 ${latency.hookToDbtSpawnMs.p95} ms`, '< 1 s; Airflow sensor: 60 s poke'],
      ...backfills.map((b): [string, string, string] => [
        `${b.days}-day backfill, concurrency ${b.concurrency}`,
        `${(b.wallMs / 1000).toFixed(1)} s`,
        `${(b.perDayMs / 1000).toFixed(1)} s per day`,
      ]),
      ['worker peak RSS during a daily run', `${rss.peakWorkerMiB.toFixed(0)} MiB (idle ${rss.idleMiB.toFixed(0)} MiB)`, '256 MiB reserved, 512 MiB limit'],
      [
        'roas --help (bin/roas: check + bundle)',
        `median ${Math.round(cli.help.medianMs)} ms, p95 ${Math.round(cli.help.p95Ms)} ms`,
        `≤ 400 ms; tsx src/cli/main.ts (no bundle): median ${Math.round(cli.beforeHelp.medianMs)} ms`,
      ],
      [
        `dashboard, ${dashboard.days} days of history`,
        `GET / p50 ${dashboard.server.page.p50Ms} ms; browser load ${dashboard.browser.map((b) => `${b.loadMs} ms at ${b.width} px`).join(', ')}`,
        '< 1 s',
      ],
    ];
    const w0 = Math.max(...summary.map((r) => r[0].length));
    const w1 = Math.max(...summary.map((r) => r[1].length));
    console.log(`\nsummary (${quick ? 'quick' : 'full'} set, ${env.cpus} × ${env.cpuModel}, ${env.memoryGiB} GiB, node ${env.node}, dbt ${env.dbt}; ${((Date.now() - started) / 60_000).toFixed(1)} min)`);
    for (const [a, b, c] of summary) console.log(`${a.padEnd(w0)} | ${b.padEnd(w1)} | ${c}`);
    writeResult(quick ? 'bench-quick.json' : 'bench.json', {
      date: new Date().toISOString(),
      set: quick ? 'quick' : 'full',
      plan,
      machine: env,
      generator,
      dailyRuns,
      history,
      latency,
      backfills,
      workerRss: rss,
      cliStartup: cli,
      dashboard,
    });
    console.log(`\nwritten: bench/results/${quick ? 'bench-quick.json' : 'bench.json'}`);
  } finally {
    await postgres.stop();
  }
});
