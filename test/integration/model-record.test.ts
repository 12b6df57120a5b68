// The per-model record on the real stack (dev server, the project's worker, real dbt, PostgreSQL
// with pg_stat_statements, the Slack stand-in): each node of each run with its cost, a test's
// history over days, freshness per publish, and a missed promise alerted once.
import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertActivities } from '../../activities/alerts';
import { createModelRecord } from '../../activities/record/observer';
import { startDbtDailyRun } from '../../src/client/runs';
import { recordFlinkComplete } from '../../src/client/flink-complete';
import { loadDay } from '../../src/local/generator/load';
import { createLogger } from '../../src/platform/logger';
import { roleNames, urlForRole } from '../../src/platform/db/roles';
import type { Config } from '../../src/platform/config';
import { withRealWorker } from '../helpers/real-worker';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import { startFakeSlack } from '../helpers/slack';
import { connectDevServer, uniqueTaskQueue } from '../helpers/temporal';

interface RecordRow {
  name: string;
  resource_type: string;
  status: string;
  step: string;
  attempt: number;
  started_at: Date;
  finished_at: Date;
  duration_seconds: number;
  rows_affected: string | null;
  failures: string | null;
  attached_to: string | null;
  depends_on: string[];
  relation: string | null;
  calls: string | null;
  exec_ms: number | null;
  shared_blks_read: string | null;
  shared_blks_hit: string | null;
}

interface FreshnessRow {
  model: string;
  promise: string | null;
  promise_seconds: number | null;
  met: boolean | null;
  flink_marker_at: Date | null;
  freshness_seconds: number;
}

const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

describe('the per-model record', () => {
  const db = useTestDatabase(import.meta.url);
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  let config: Config;
  const artifactsDir = mkdtempSync(path.join(os.tmpdir(), 'roas-record-artifacts-'));

  beforeAll(async () => {
    temporal = await connectDevServer();
    slack = await startFakeSlack();
    config = testConfig({
      DBT_ARTIFACTS_DIR: artifactsDir,
      SLACK_BOT_TOKEN: 'xoxb-record-test',
      SLACK_API_URL: slack.url,
      ROAS_RETRY_INTERVAL: '3s',
      // The test runs the check itself.
      ROAS_FRESHNESS_CHECK_INTERVAL: '0s',
    });
  });
  afterAll(async () => {
    await temporal?.close();
    await slack?.close();
  });

  async function runDay(runDate: string, opts: { force?: boolean } = {}): Promise<unknown> {
    const taskQueue = uniqueTaskQueue('record');
    return withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl: db.url, taskQueue }, async () =>
      (await startDbtDailyRun(temporal.client, config, runDate, { taskQueue, force: opts.force })).result().catch((e: unknown) => e),
    );
  }

  /** The periodic check as a worker runs it, with the worker's alert path (orchestrator role). */
  function freshnessCheck(orchestrator: pg.Pool) {
    const log = createLogger('silent');
    const alerts = createAlertActivities({ pool: orchestrator, slack: slack.client('xoxb-record-test'), channel: '#marketing-data-alerts', log });
    return createModelRecord({ pool: orchestrator, artifactsDir, log, sendAlert: (alert) => alerts.sendAlert(alert), freshness: { checkIntervalMs: 0, lookbackDays: 3 } });
  }

  it("records each node of a run: status, timing, rows, what it reads and writes, and its cost from pg_stat_statements", async () => {
    const runDate = '2026-09-01';
    await loadDay(db.pool, { date: runDate, events: 100_000, seed: 3 });
    await recordFlinkComplete(db.pool, { runDate });
    expect(await runDay(runDate)).toMatchObject({ status: 'succeeded' });

    const { rows } = await db.pool.query<RecordRow>(
      `SELECT name, resource_type, status, step, attempt, started_at, finished_at, duration_seconds, rows_affected, failures, attached_to,
              depends_on, relation, calls, exec_ms, shared_blks_read, shared_blks_hit
         FROM orchestrator.model_runs WHERE run_date = $1 ORDER BY exec_ms DESC NULLS LAST`,
      [runDate],
    );
    // What it cost, for the record (BENCHMARKS, docs).
    console.log(rows.filter((r) => r.resource_type !== 'test').map((r) => `${r.name}: ${r.calls} calls, ${Number(r.exec_ms).toFixed(1)} ms, ${r.duration_seconds.toFixed(2)} s, ${r.rows_affected ?? '-'} rows, blocks read ${r.shared_blks_read} hit ${r.shared_blks_hit}`).join('\n'));
    const fct = rows.find((r) => r.name === 'fct_daily_metrics')!;
    expect(fct).toMatchObject({ resource_type: 'model', status: 'success', step: 'build', attempt: 1, relation: 'analytics.fct_daily_metrics', attached_to: null });
    expect(fct.depends_on).toEqual(expect.arrayContaining(['model.marketing_roas.int_hourly_agg', 'seed.marketing_roas.campaigns']));
    expect(Number(fct.calls)).toBeGreaterThan(0);
    expect(fct.exec_ms).toBeGreaterThan(0);
    expect(Number(fct.shared_blks_read) + Number(fct.shared_blks_hit)).toBeGreaterThan(0);
    expect(Number(fct.rows_affected)).toBeGreaterThan(0);
    expect(fct.duration_seconds).toBeGreaterThan(0);
    expect(fct.finished_at.getTime()).toBeGreaterThanOrEqual(fct.started_at.getTime());
    // Every node dbt ran is there once: seeds, models and tests, each test with its model.
    expect(rows.filter((r) => r.resource_type === 'seed').map((r) => r.name).sort()).toEqual(['campaigns', 'fx_rates']);
    const tests = rows.filter((r) => r.resource_type === 'test');
    expect(tests.length).toBeGreaterThanOrEqual(17);
    expect(tests.every((t) => t.status === 'pass' && Number(t.failures) === 0 && t.rows_affected === null)).toBe(true);
    expect(tests.find((t) => t.name === 'stg_ad_events_amounts_not_negative')?.attached_to).toBe('model.marketing_roas.stg_ad_events_row_checks');
    // The biggest model cost more than a test of it.
    const stg = rows.find((r) => r.name === 'stg_ad_events')!;
    expect(stg.exec_ms).toBeGreaterThan(0);

    // The publish: its freshness against the promise in the YAML (within 1h of the marker: met).
    const fresh = await db.pool.query<FreshnessRow>('SELECT model, promise, promise_seconds, met, flink_marker_at, freshness_seconds FROM orchestrator.model_freshness WHERE run_date = $1', [runDate]);
    const fctFresh = fresh.rows.find((r) => r.model === 'fct_daily_metrics')!;
    expect(fctFresh).toMatchObject({ promise: 'within 1h of the Flink marker', promise_seconds: 3600, met: true });
    expect(fctFresh.flink_marker_at).toBeInstanceOf(Date);
    expect(fresh.rows.find((r) => r.model === 'stg_ad_events')).toMatchObject({ promise: null, met: null });
    expect(fctFresh.freshness_seconds).toBeGreaterThan(0);
  }, 600_000);

  it("keeps each test's history over days: passing, failing with its failing rows, passing again", async () => {
    const [bad, good] = ['2026-09-02', '2026-09-03'];
    await loadDay(db.pool, { date: bad, events: 20_000, seed: 4, defects: ['negative-cost'] });
    await loadDay(db.pool, { date: good, events: 20_000, seed: 5 });
    await recordFlinkComplete(db.pool, { runDate: bad });
    await recordFlinkComplete(db.pool, { runDate: good });
    expect(await runDay(bad)).toBeInstanceOf(Error);
    expect(await runDay(good)).toMatchObject({ status: 'succeeded' });
    const { rows } = await db.pool.query<{ run_date: string; status: string; failures: string }>(
      `SELECT run_date::text, status, failures FROM orchestrator.model_runs WHERE name = 'stg_ad_events_amounts_not_negative' ORDER BY run_date, attempt`,
    );
    expect(rows.map((r) => [r.run_date, r.status])).toEqual([
      ['2026-09-01', 'pass'],
      [bad, 'fail'],
      [good, 'pass'],
    ]);
    expect(Number(rows[1]!.failures)).toBeGreaterThan(0);
    // A failed day publishes nothing: no freshness row for it.
    const fresh = await db.pool.query('SELECT 1 FROM orchestrator.model_freshness WHERE run_date = $1', [bad]);
    expect(fresh.rowCount).toBe(0);
  }, 600_000);

  it('alerts a missed freshness promise once: late publishes and a day that has not come, across workers and repeats', async () => {
    const orchestrator = new pg.Pool({ connectionString: urlForRole(db.url, roleNames('roas').orchestrator), max: 3 });
    // The orchestrator has been running for a while (its first run 4h ago); Flink finished these
    // days 3h ago, so the promise (1h after the marker) ran out 2h ago. Both days ended more than a
    // day ago, so a marker 3h ago is a valid one at any hour the test runs (also just after midnight).
    await db.pool.query("UPDATE orchestrator.pipeline_runs SET started_at = now() - interval '4 hours' WHERE run_date = '2026-09-01'");
    const [late, missing] = [daysAgo(3), daysAgo(2)];
    for (const day of [late, missing]) {
      await loadDay(db.pool, { date: day, events: 5_000, seed: 6 });
      await recordFlinkComplete(db.pool, { runDate: day });
      await db.pool.query("UPDATE realtime.flink_batches SET completed_at = now() - interval '3 hours' WHERE run_date = $1", [day]);
    }
    const alertsOf = async (day: string) =>
      (await db.pool.query<{ kind: string; text: string; delivered: boolean }>("SELECT kind, text, delivered FROM orchestrator.alerts WHERE incident_key = $1", [`freshness:fct_daily_metrics:${day}`])).rows;
    const slackAbout = (day: string) => slack.messages().filter((m) => String(m.body.text).includes(`fct_daily_metrics for ${day}`));
    try {
      // Late: published 2h after the promise ran out; published again (forced): still one alert.
      expect(await runDay(late)).toMatchObject({ status: 'succeeded' });
      expect(await runDay(late, { force: true })).toMatchObject({ status: 'succeeded' });
      const lateFresh = await db.pool.query("SELECT met FROM orchestrator.model_freshness WHERE model = 'fct_daily_metrics' AND run_date = $1", [late]);
      expect(lateFresh.rows).toEqual([{ met: false }, { met: false }]);
      expect(await alertsOf(late)).toEqual([expect.objectContaining({ kind: 'freshness', delivered: true })]);
      expect(slackAbout(late)).toHaveLength(1);
      expect(String(slackAbout(late)[0]!.body.text)).toContain('promises to be published within 1h of the Flink marker: it came late');

      // Missing: the check runs on two workers, twice each: one miss, one alert.
      const [a, b] = [freshnessCheck(orchestrator), freshnessCheck(orchestrator)];
      await Promise.all([a.checkFreshness(), b.checkFreshness()]);
      await a.checkFreshness();
      await b.checkFreshness();
      await Promise.all([a.close(), b.close()]);
      const misses = await db.pool.query("SELECT run_date::text, kind FROM orchestrator.freshness_misses WHERE model = 'fct_daily_metrics' ORDER BY run_date");
      expect(misses.rows).toEqual([
        { run_date: late, kind: 'late' },
        { run_date: missing, kind: 'missing' },
      ]);
      expect(await alertsOf(missing)).toEqual([expect.objectContaining({ kind: 'freshness', delivered: true })]);
      expect(slackAbout(missing)).toHaveLength(1);
      expect(String(slackAbout(missing)[0]!.body.text)).toContain('it has not come');
      // The day comes at last: recorded as late, not alerted again.
      expect(await runDay(missing)).toMatchObject({ status: 'succeeded' });
      expect(slackAbout(missing)).toHaveLength(1);
      expect(await alertsOf(missing)).toHaveLength(1);
      // Days before the orchestrator's first run, and backfills of old days, are never alerted.
      const old = await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM orchestrator.freshness_misses WHERE run_date < '2026-10-01'");
      expect(old.rows[0]!.n).toBe(0);
    } finally {
      await orchestrator.end();
    }
  }, 900_000);

  it('lets the reporting role read the record and nothing more', async () => {
    const reporting = new pg.Pool({ connectionString: urlForRole(db.url, roleNames('roas').reporting), max: 1 });
    const code = (p: Promise<unknown>) => p.then(() => 'ok', (err: { code?: string }) => err.code);
    try {
      for (const table of ['model_runs', 'model_freshness', 'freshness_misses']) {
        expect(await code(reporting.query(`SELECT count(*) FROM orchestrator.${table}`))).toBe('ok');
        expect(await code(reporting.query(`DELETE FROM orchestrator.${table}`))).toBe('42501');
        expect(await code(reporting.query(`UPDATE orchestrator.${table} SET run_date = run_date`))).toBe('42501');
      }
      expect(await code(reporting.query("INSERT INTO orchestrator.freshness_misses (model, run_date, promise, kind, detail) VALUES ('m', '2026-09-01', 'p', 'late', 'd')"))).toBe('42501');
    } finally {
      await reporting.end();
    }
  });

  it('without pg_stat_statements records the nodes with NULL costs and says why once', async () => {
    await db.pool.query('DROP EXTENSION pg_stat_statements');
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const orchestrator = new pg.Pool({ connectionString: urlForRole(db.url, roleNames('roas').orchestrator), max: 2 });
    const record = createModelRecord({ pool: orchestrator, artifactsDir, log, sendAlert: () => Promise.resolve(), freshness: { checkIntervalMs: 0, lookbackDays: 3 } });
    // The first day's build, told again as two attempts of another run.
    const build = path.join(artifactsDir, 'dbt_daily_run', '2026-09-01', 'build');
    const targetPath = path.join(build, readdirSync(build)[0]!, 'attempt-1');
    try {
      for (const attempt of [1, 2]) {
        const started = { pipeline: 'dbt_daily_run', runDate: '2026-09-01', workflowId: 'no-stats', runId: 'r1', step: 'build', attempt, targetPath, applicationName: 'x', at: new Date().toISOString() };
        await record.observer.dbtStepStarted!(started);
        await record.observer.dbtStepFinished!({ ...started, outcome: 'success', exitCode: 0, durationMs: 1, process: { exitCode: 0, durationMs: 1, cancelled: false } });
      }
      const { rows } = await db.pool.query<{ n: number; costed: number }>(
        "SELECT count(*)::int AS n, count(calls)::int AS costed FROM orchestrator.model_runs WHERE workflow_id = 'no-stats' AND name = 'fct_daily_metrics'",
      );
      expect(rows[0]).toEqual({ n: 2, costed: 0 });
      const said = lines.filter((l) => l.includes('has no costs'));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain('CREATE EXTENSION pg_stat_statements');
    } finally {
      await record.close();
      await orchestrator.end();
    }
  });
});
