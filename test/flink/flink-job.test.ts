// The reference Flink job (flink/ad_events_job.py) on the real engine, PyFlink's embedded
// mini-cluster, as the producer of the whole pipeline: the dev server, the project's worker with
// its real activities, real dbt, real PostgreSQL. A dbt daily run waits at its Flink gate; the
// job writes the day's events and, when its event-time watermark passes the end of the day, the
// day's marker, which opens the gate by itself (no flink-complete, no signal from the test).
import { execa, type ResultPromise } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, copyFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInput, type InputManifest } from '../../flink/make-input';
import { startDbtDailyRun } from '../../src/client/runs';
import { PROJECT_ROOT, type Config } from '../../src/platform/config';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import type { flinkGate, FlinkGateResult } from '../../workflows/flink-gate';
import { workflowIds } from '../../src/core/signals';
import { withRealWorker } from '../helpers/real-worker';
import { startFakeSlack } from '../helpers/slack';
import { connectDevServer, eventually, gateWaiting, uniqueTaskQueue } from '../helpers/temporal';

const FLINK_PYTHON = path.join(PROJECT_ROOT, '.local', 'flink', 'venv', 'bin', 'python');
const JOB = path.join(PROJECT_ROOT, 'flink', 'ad_events_job.py');
const JOB_ID = 'roas-ad-events-test';

/** The day's rows in realtime.ad_events: all, distinct, and those that arrived after `after`. */
const DAY_COUNTS = `SELECT count(*)::int AS rows, count(DISTINCT event_id)::int AS distinct_events,
    count(*) FILTER (WHERE ingested_at > $2::timestamptz)::int AS arrived_after
  FROM realtime.ad_events
  WHERE event_time >= $1::date::timestamp AT TIME ZONE 'UTC' AND event_time < ($1::date + 1)::timestamp AT TIME ZONE 'UTC'`;

describe('the Flink job feeds the daily run', () => {
  const db = useTestDatabase(import.meta.url);
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  let config: Config;
  const work = mkdtempSync(path.join(os.tmpdir(), 'roas-flink-'));
  let job: ResultPromise<{ all: true; reject: false }> | undefined;
  let jobOutput = '';

  beforeAll(async () => {
    // The only install the test does: idempotent, a no-op when the pins are installed.
    await execa('bash', [path.join(PROJECT_ROOT, 'flink', 'install.sh')], { stdio: 'inherit' });
    temporal = await connectDevServer();
    slack = await startFakeSlack();
    config = testConfig({
      DBT_ARTIFACTS_DIR: path.join(work, 'artifacts'),
      SLACK_BOT_TOKEN: 'xoxb-flink-test',
      SLACK_API_URL: slack.url,
      ROAS_RETRY_INTERVAL: '3s',
    });
  });
  afterAll(async () => {
    if (job && job.exitCode === null) {
      job.kill('SIGTERM');
      await job;
    }
    await temporal?.close();
    await slack?.close();
  });

  /** The job's log, for a failure message. */
  function flinkLog(): string {
    const logDir = path.join(work, 'flink-log');
    const files = existsSync(logDir) ? readdirSync(logDir).filter((f) => f.endsWith('.log')) : [];
    const log = files.map((f) => readFileSync(path.join(logDir, f), 'utf8')).join('\n');
    const problems = log.split('\n').filter((l) => /ERROR|Exception|FAILED/.test(l)).slice(0, 20);
    return `${jobOutput}\n${problems.join('\n')}`.slice(-6000);
  }

  /** Puts one of the generated files where the job reads, whole (rename within one file system). */
  function deliver(manifest: InputManifest, staging: string, watched: string, index: number): void {
    const name = manifest.files[index]!.name;
    copyFileSync(path.join(staging, name), path.join(watched, `.${name}.part`));
    renameSync(path.join(watched, `.${name}.part`), path.join(watched, name));
  }

  it('100k events with duplicates and late events: the marker opens the gate, the run succeeds, and the metrics match the rows Flink wrote', async () => {
    const runDate = '2026-11-20';
    const staging = path.join(work, 'input');
    const watched = path.join(work, 'watched');
    mkdirSync(watched, { recursive: true });
    const manifest = makeInput({ date: runDate, events: 100_000, out: staging, seed: 11, defects: ['duplicates', 'late-events'] });
    expect(manifest.dayRows).toBeGreaterThan(manifest.distinctDayEvents);
    expect(manifest.lateDayRows).toBeGreaterThan(0);
    expect(manifest.files).toHaveLength(2);

    const taskQueue = uniqueTaskQueue('flink-job');
    const result = await withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl: db.url, taskQueue }, async () => {
      const run = await startDbtDailyRun(temporal.client, config, runDate, {
        taskQueue,
        trigger: 'manual',
        // No CLI call and no signal from the test, and no periodic re-check within the test's time:
        // only the marker row, heard by the worker through LISTEN/NOTIFY, can open the gate.
        flinkGate: { deadlineMs: 15 * 60_000, recheckMs: 10 * 60_000 },
      });
      await gateWaiting(temporal.client, runDate, 60_000);

      // The day's on-time events and the next day's first minutes; then the job.
      deliver(manifest, staging, watched, 0);
      job = execa(
        FLINK_PYTHON,
        [JOB, '--input', watched, '--database-url', db.url, '--job-id', JOB_ID, '--out-of-orderness', '5', '--checkpoint-interval', '5'],
        { cwd: PROJECT_ROOT, all: true, reject: false, env: { FLINK_LOG_DIR: path.join(work, 'flink-log') } },
      );
      job.all.on('data', (chunk: Buffer) => {
        jobOutput += chunk.toString();
      });
      const finished = run.result();
      // Fail fast (with the job's log) if the job dies instead of waiting for the run's timeout.
      const died = job.then(() => {
        throw new Error(`the Flink job exited before the run finished:\n${flinkLog()}`);
      });
      return Promise.race([finished, died]);
    });
    expect(result).toMatchObject({ runDate, status: 'succeeded' });
    const gate: FlinkGateResult = await temporal.client.workflow.getHandle<typeof flinkGate>(workflowIds.flinkGate(runDate)).result();
    expect(gate.openedBy).toBe('signal');

    // The marker: one row, as Flink's window counted the day (duplicates in, late events not yet arrived).
    const { rows: markers } = await db.pool.query<{ row_count: string; watermark: Date; job_id: string; completed_at: Date; events_in_table: string | null; flag: string | null }>(
      'SELECT row_count, watermark, job_id, completed_at, events_in_table, flag FROM realtime.flink_batches WHERE run_date = $1',
      [runDate],
    );
    expect(markers).toHaveLength(1);
    const marker = markers[0]!;
    expect(Number(marker.row_count)).toBe(manifest.onTimeDayRows);
    expect(marker.watermark.toISOString()).toBe('2026-11-21T00:00:00.000Z');
    expect(marker.job_id).toBe(JOB_ID);
    const history = await db.pool.query<{ action: string; job_id: string }>('SELECT action, job_id FROM realtime.flink_batch_history WHERE run_date = $1 ORDER BY id', [runDate]);
    expect(history.rows.filter((r) => r.action === 'recorded')).toEqual([{ action: 'recorded', job_id: JOB_ID }]);

    // What the run read: every on-time row, written before the marker.
    const before = (await db.pool.query<{ rows: number; distinct_events: number; arrived_after: number }>(DAY_COUNTS, [runDate, marker.completed_at])).rows[0]!;
    expect(before).toEqual({ rows: manifest.onTimeDayRows, distinct_events: manifest.onTimeDistinctEvents, arrived_after: 0 });

    // fct_daily_metrics against an independent computation from the rows Flink wrote up to the
    // marker: de-duplicated on event_id, money converted to KRW with the FX seed, per campaign.
    type Metrics = { campaign_id: string; channel: string; impressions: number; clicks: number; conversions: number; spend_krw: string; revenue_krw: string; roas: string | null };
    const fx = readFileSync(path.join(PROJECT_ROOT, 'dbt', 'seeds', 'fx_rates.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const expected = await db.pool.query<Metrics>(
      `WITH fx (currency, krw_per_unit) AS (SELECT * FROM unnest($3::text[], $4::numeric[])),
       events AS (
         SELECT DISTINCT ON (event_id) * FROM realtime.ad_events
         WHERE event_time >= $1::date::timestamp AT TIME ZONE 'UTC' AND event_time < ($1::date + 1)::timestamp AT TIME ZONE 'UTC'
           AND ingested_at <= $2::timestamptz
         ORDER BY event_id, ingested_at),
       daily AS (
         SELECT e.campaign_id, e.channel,
           count(*) FILTER (WHERE e.event_type = 'impression') AS impressions,
           count(*) FILTER (WHERE e.event_type = 'click') AS clicks,
           count(*) FILTER (WHERE e.event_type = 'conversion') AS conversions,
           sum(round(e.cost_micros * fx.krw_per_unit / 1000000, 6)) AS spend_krw,
           sum(round(e.revenue_micros * fx.krw_per_unit / 1000000, 6)) AS revenue_krw
         FROM events e JOIN fx ON fx.currency = e.currency::text
         GROUP BY e.campaign_id, e.channel)
       SELECT campaign_id, channel, impressions::int, clicks::int, conversions::int, spend_krw::text, revenue_krw::text,
         round(revenue_krw / nullif(spend_krw, 0), 6)::text AS roas
       FROM daily ORDER BY campaign_id`,
      [runDate, marker.completed_at, fx.map((r) => r[0]), fx.map((r) => r[1])],
    );
    const actual = await db.pool.query<Metrics>(
      `SELECT campaign_id, channel, impressions::int, clicks::int, conversions::int, spend_krw::text, revenue_krw::text, roas::text
       FROM analytics.fct_daily_metrics WHERE metric_date = $1 ORDER BY campaign_id`,
      [runDate],
    );
    expect(actual.rows.length).toBe(50);
    expect(actual.rows).toEqual(expected.rows);
    const totals = actual.rows.reduce((n, r) => n + r.impressions + r.clicks + r.conversions, 0);
    expect(totals).toBe(manifest.onTimeDistinctEvents);

    // The late events arrive after the run: Flink writes them, but the marker does not change.
    deliver(manifest, staging, watched, 1);
    await eventually(
      'the late events in realtime.ad_events',
      async () => (await db.pool.query<{ rows: number }>(DAY_COUNTS, [runDate, marker.completed_at])).rows[0]!.rows >= manifest.dayRows,
      120_000,
    );
    const after = (await db.pool.query<{ rows: number; distinct_events: number; arrived_after: number }>(DAY_COUNTS, [runDate, marker.completed_at])).rows[0]!;
    // Every row of the input once (the job did not restart), duplicates really there.
    expect(after).toEqual({ rows: manifest.dayRows, distinct_events: manifest.distinctDayEvents, arrived_after: manifest.lateDayRows });
    expect(after.rows).toBeGreaterThan(after.distinct_events);
    const { rows: markersAfter } = await db.pool.query<{ row_count: string }>('SELECT row_count FROM realtime.flink_batches WHERE run_date = $1', [runDate]);
    expect(markersAfter.map((m) => Number(m.row_count))).toEqual([manifest.onTimeDayRows]);
    expect(slack.messages().filter((m) => String(m.body.text).includes(runDate))).toHaveLength(0);

    expect(job!.exitCode, flinkLog()).toBeNull();
    job!.kill('SIGTERM');
    await job;
  });
});
