// A daily run's wall time at several sizes, split into orchestration overhead and dbt's own time,
// against the floor: the same day's campaign metrics computed by one hand-written SQL statement.
// Real parts: Temporal dev server, the project's worker and activities, PostgreSQL, dbt.
// Prints a table and writes bench/results/daily-run.json.
//   npm run bench:daily-run -- --sizes 100000,1000000,5000000
import { Command, Option } from 'commander';
import type pg from 'pg';
import { readRunResults } from '../activities/dbt/run-results';
import { startDbtDailyRun } from '../src/client/runs';
import { addDays } from '../src/dates';
import { recordFlinkComplete } from '../src/flink-complete';
import { loadDay } from '../src/generator/load';
import { benchStack, median, runIfMain, writeResult, type BenchStack } from './lib';

export interface DailyRunSize {
  events: number;
  runDate: string;
  /** Workflow start to result, the Flink day already complete. */
  wallMs: number;
  /** The two dbt processes (build, test), spawn to exit. */
  dbtProcessMs: { build: number; test: number };
  /** dbt's own elapsed time inside each process (run_results.json), the rest being start-up and parsing. */
  dbtElapsedMs: { build: number; test: number };
  /** Time inside the models of the build step (staging, intermediate, mart). */
  modelMs: number;
  /** wall minus the dbt processes: Temporal, the gate, the ledger, activity scheduling. */
  orchestrationMs: number;
  /** One SQL statement computing the day's campaign metrics from realtime (median of 3). */
  floorMs: number;
  /** The floor's result equals fct_daily_metrics for the date (counts, spend and revenue per campaign). */
  floorMatchesMart: boolean;
  ratioBuildToFloor: number;
  ratioRunToFloor: number;
}

/**
 * The floor: realtime → de-duplicated, converted to KRW, aggregated per campaign with the same
 * ratios as the mart, in one statement into a table. No staging or hourly table is kept.
 */
function floorSql(runDate: string, table: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(runDate)) throw new Error(`bad date ${runDate}`);
  return `
CREATE TABLE ${table} AS
WITH events AS (
  SELECT DISTINCT ON (event_id) event_id, event_type, event_time, campaign_id, channel, currency, cost_micros, revenue_micros
  FROM realtime.ad_events
  WHERE event_time >= (date '${runDate}')::timestamp AT TIME ZONE 'UTC'
    AND event_time < (date '${runDate}' + 1)::timestamp AT TIME ZONE 'UTC'
  ORDER BY event_id, ingested_at
), converted AS (
  SELECT e.campaign_id, e.channel, e.event_type,
         date_trunc('hour', e.event_time AT TIME ZONE 'UTC') AS event_hour,
         round(e.cost_micros::numeric / 1000000 * fx.krw_per_unit, 6) AS spend_krw,
         round(e.revenue_micros::numeric / 1000000 * fx.krw_per_unit, 6) AS revenue_krw
  FROM events e LEFT JOIN analytics.fx_rates fx ON fx.currency = e.currency
), daily AS (
  SELECT campaign_id, channel,
         count(*) FILTER (WHERE event_type = 'impression') AS impressions,
         count(*) FILTER (WHERE event_type = 'click') AS clicks,
         count(*) FILTER (WHERE event_type = 'conversion') AS conversions,
         coalesce(sum(spend_krw), 0) AS spend_krw,
         coalesce(sum(revenue_krw), 0) AS revenue_krw,
         count(DISTINCT event_hour) AS active_hours
  FROM converted GROUP BY campaign_id, channel
)
SELECT date '${runDate}' AS metric_date, d.campaign_id, c.campaign_name, d.channel, d.impressions, d.clicks, d.conversions,
       d.spend_krw, d.revenue_krw,
       round(d.clicks::numeric / nullif(d.impressions, 0), 8) AS ctr,
       round(d.conversions::numeric / nullif(d.clicks, 0), 8) AS cvr,
       round(d.spend_krw / nullif(d.clicks, 0), 8) AS cpc_krw,
       round(d.spend_krw / nullif(d.conversions, 0), 8) AS cpa_krw,
       round(d.revenue_krw / nullif(d.spend_krw, 0), 6) AS roas,
       d.active_hours
FROM daily d LEFT JOIN analytics.campaigns c ON c.campaign_id = d.campaign_id`;
}

async function measureFloor(pool: pg.Pool, runDate: string): Promise<{ ms: number; matches: boolean }> {
  const table = `public.bench_floor_${runDate.replaceAll('-', '_')}`;
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    await pool.query(`DROP TABLE IF EXISTS ${table}`);
    const t = performance.now();
    await pool.query(floorSql(runDate, table));
    times.push(performance.now() - t);
  }
  const { rows } = await pool.query<{ differing: number; floor: number; mart: number }>(
    `SELECT (SELECT count(*)::int FROM ${table} f FULL JOIN (SELECT * FROM analytics.fct_daily_metrics WHERE metric_date = $1) m USING (campaign_id)
             WHERE f.impressions IS DISTINCT FROM m.impressions OR f.clicks IS DISTINCT FROM m.clicks
                OR f.conversions IS DISTINCT FROM m.conversions OR f.spend_krw IS DISTINCT FROM m.spend_krw
                OR f.revenue_krw IS DISTINCT FROM m.revenue_krw OR f.roas IS DISTINCT FROM m.roas
                OR f.active_hours IS DISTINCT FROM m.active_hours) AS differing,
            (SELECT count(*)::int FROM ${table}) AS floor,
            (SELECT count(*)::int FROM analytics.fct_daily_metrics WHERE metric_date = $1) AS mart`,
    [runDate],
  );
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  const r = rows[0]!;
  return { ms: median(times), matches: r.differing === 0 && r.floor === r.mart && r.mart > 0 };
}

export async function measureDailyRuns(stack: BenchStack, opts: { sizes: number[]; firstDate?: string }): Promise<DailyRunSize[]> {
  const { client, bench, taskQueue, spawns } = stack;
  const out: DailyRunSize[] = [];
  await stack.withWorker(async () => {
    for (const [i, events] of opts.sizes.entries()) {
      const runDate = addDays(opts.firstDate ?? '2026-01-10', i);
      process.stderr.write(`daily run: loading ${events.toLocaleString('en-US')} events for ${runDate}\n`);
      await loadDay(bench.pool, { date: runDate, events, seed: 7 + i });
      await recordFlinkComplete(bench.pool, { runDate });
      const started = performance.now();
      const result = await (await startDbtDailyRun(client, bench.config, runDate, { taskQueue })).result();
      const wallMs = performance.now() - started;
      if (result.status !== 'succeeded') throw new Error(`the daily run of ${runDate} ended ${result.status}`);
      const mine = spawns.filter((s) => s.runDate === runDate);
      const build = mine.find((s) => s.command === 'build')!;
      const test = mine.find((s) => s.command === 'test')!;
      const buildResults = readRunResults(build.targetPath);
      const testResults = readRunResults(test.targetPath);
      const modelMs = 1000 * (buildResults?.nodes ?? []).filter((n) => n.resourceType === 'model').reduce((s, n) => s + n.executionSeconds, 0);
      const floor = await measureFloor(bench.pool, runDate);
      const processMs = build.ms + test.ms;
      out.push({
        events,
        runDate,
        wallMs,
        dbtProcessMs: { build: build.ms, test: test.ms },
        dbtElapsedMs: { build: 1000 * (buildResults?.elapsedSeconds ?? 0), test: 1000 * (testResults?.elapsedSeconds ?? 0) },
        modelMs,
        orchestrationMs: wallMs - processMs,
        floorMs: floor.ms,
        floorMatchesMart: floor.matches,
        ratioBuildToFloor: build.ms / floor.ms,
        ratioRunToFloor: wallMs / floor.ms,
      });
      process.stderr.write(`daily run: ${events.toLocaleString('en-US')} events in ${(wallMs / 1000).toFixed(1)} s, floor ${(floor.ms / 1000).toFixed(2)} s\n`);
    }
  });
  return out;
}

const s = (ms: number) => (ms / 1000).toFixed(2).padStart(7);
export function printDailyRuns(rows: DailyRunSize[]): void {
  console.log('\ndaily run (Flink day already complete): wall time split, and the hand-written SQL floor (seconds)');
  console.log('   events/day |    wall | orchestr. | dbt build (inside dbt) | dbt test (inside dbt) | models |   floor | build/floor | run/floor | floor = mart');
  for (const r of rows) {
    console.log(
      `${r.events.toLocaleString('en-US').padStart(13)} | ${s(r.wallMs)} | ${s(r.orchestrationMs).padStart(9)} | ${s(r.dbtProcessMs.build)} (${s(r.dbtElapsedMs.build)})      | ${s(r.dbtProcessMs.test)} (${s(r.dbtElapsedMs.test)})     | ${s(r.modelMs)} | ${s(r.floorMs)} | ${r.ratioBuildToFloor.toFixed(1).padStart(11)} | ${r.ratioRunToFloor.toFixed(1).padStart(9)} | ${r.floorMatchesMart ? 'yes' : 'NO'}`,
    );
  }
}

runIfMain(import.meta.url, async () => {
  const { sizes } = new Command('bench:daily-run')
    .addOption(
      new Option('--sizes <list>', 'events per day, comma-separated').default([100_000, 1_000_000, 5_000_000]).argParser((v) => v.split(',').map(Number)),
    )
    .parse()
    .opts<{ sizes: number[] }>();
  const stack = await benchStack('daily-run');
  try {
    const rows = await measureDailyRuns(stack, { sizes });
    printDailyRuns(rows);
    writeResult('daily-run.json', { benchmark: 'daily run wall time by size, and the SQL floor', date: new Date().toISOString(), sizes: rows });
  } finally {
    await stack.close();
  }
});
