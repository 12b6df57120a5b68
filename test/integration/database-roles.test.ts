// Each component's database role, connected as itself: what its job needs works, and what it
// must not do PostgreSQL refuses (42501, insufficient_privilege). The roles are the ones the
// migrations make (cluster-wide, shared by every test database); the grants are this database's.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/platform/db/migrate';
import { roleNames, urlForRole, type Component } from '../../src/platform/db/roles';
import { useTestDatabase } from '../helpers/db';

const db = useTestDatabase(import.meta.url);
const roles = roleNames('roas');
const DAY = '2024-03-05';
const pools = {} as Record<Component, pg.Pool>;

/** The SQLSTATE PostgreSQL answered `sql` with when run as `component`; 'ok' when it ran. */
async function attempt(component: Component, sql: string, params: unknown[] = []): Promise<string> {
  try {
    await pools[component].query(sql, params);
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  }
}

const event = (id: string) => [id, 'impression', `${DAY}T10:00:00Z`, 'cmp-1', 'ag-1', 'search', 'mobile', 1000, 0, 'KRW', `${DAY}T10:00:01Z`];
const INSERT_EVENT = `INSERT INTO realtime.ad_events (event_id, event_type, event_time, campaign_id, ad_group_id, channel, device,
  cost_micros, revenue_micros, currency, ingested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;

beforeAll(async () => {
  for (const c of ['ingest', 'transform', 'orchestrator', 'reporting'] as const) {
    pools[c] = new pg.Pool({ connectionString: urlForRole(db.url, roles[c]), max: 2 });
    pools[c].on('error', () => {});
  }
  // A published day and a day under audit, as dbt (the owner role) leaves them.
  await db.pool.query(`SET ROLE ${roles.analyticsOwner};
    CREATE TABLE analytics.fct_daily_metrics (metric_date date, campaign_id text, spend numeric) PARTITION BY LIST (metric_date);
    CREATE TABLE analytics.fct_daily_metrics_p20240304 PARTITION OF analytics.fct_daily_metrics FOR VALUES IN ('2024-03-04');
    INSERT INTO analytics.fct_daily_metrics VALUES ('2024-03-04', 'cmp-1', 12.5);
    CREATE TABLE analytics_audit.fct_daily_metrics_p20240305 (metric_date date, campaign_id text, spend numeric);
    RESET ROLE`);
  await db.pool.query(INSERT_EVENT, event('seed-1'));
  await db.pool.query("INSERT INTO orchestrator.pipeline_runs (workflow_id, run_id, pipeline, run_date, status) VALUES ('w', 'r', 'dbt_daily_run', $1, 'succeeded')", [DAY]);
});

afterAll(async () => {
  await Promise.all(Object.values(pools).map((p) => p.end()));
});

describe('the ingest role (Flink, the event generator)', () => {
  it('inserts events, through the parent and by COPY-sized batches, and records a Flink marker', async () => {
    expect(await attempt('ingest', INSERT_EVENT, event('ingest-1'))).toBe('ok');
    expect(await attempt('ingest', 'SELECT realtime.ensure_ad_events_partition($1::date)', ['2024-03-06'])).toBe('ok');
    // The marker trigger reads the day and writes the history as its owner.
    expect(await attempt('ingest', "INSERT INTO realtime.flink_batches (run_date, row_count, watermark, job_id) VALUES ($1, 2, $2, 'flink-test')", [DAY, '2024-03-06T00:05:00Z'])).toBe('ok');
    const { rows } = await db.pool.query('SELECT action, recorded_by FROM realtime.flink_batch_history WHERE run_date = $1', [DAY]);
    expect(rows).toEqual([{ action: 'recorded', recorded_by: roles.ingest }]);
  });

  it('may not change, remove or read what it wrote, nor touch another schema', async () => {
    expect(await attempt('ingest', "UPDATE realtime.ad_events SET cost_micros = 0 WHERE event_id = 'seed-1'")).toBe('42501');
    expect(await attempt('ingest', "DELETE FROM realtime.ad_events WHERE event_id = 'seed-1'")).toBe('42501');
    expect(await attempt('ingest', 'TRUNCATE realtime.ad_events')).toBe('42501');
    expect(await attempt('ingest', 'TRUNCATE realtime.ad_events_default')).toBe('42501');
    expect(await attempt('ingest', 'SELECT count(*) FROM realtime.ad_events')).toBe('42501');
    expect(await attempt('ingest', 'DELETE FROM realtime.flink_batches')).toBe('42501');
    expect(await attempt('ingest', 'UPDATE realtime.flink_batches SET row_count = 0')).toBe('42501');
    expect(await attempt('ingest', "INSERT INTO realtime.flink_batch_history (run_date, action, row_count, watermark, job_id) VALUES ($1, 'recorded', 1, now(), 'x')", [DAY])).toBe('42501');
    expect(await attempt('ingest', 'SELECT * FROM analytics.fct_daily_metrics')).toBe('42501');
    expect(await attempt('ingest', 'SELECT * FROM orchestrator.pipeline_runs')).toBe('42501');
    expect(await attempt('ingest', 'SELECT realtime.maintain_ad_events_partitions($1::date, 1)', [DAY])).toBe('42501');
    expect(await attempt('ingest', 'CREATE TABLE realtime.sneaky (x int)')).toBe('42501');
  });
});

describe('the transform role (dbt, publish)', () => {
  it('reads realtime, builds as the owner role in analytics_audit and analytics, and publishes a day', async () => {
    expect(await attempt('transform', 'SELECT count(*) FROM realtime.ad_events')).toBe('ok');
    const client = await pools.transform.connect();
    try {
      // As dbt does (its profile sets the role), then as the publish step does (no SET ROLE: ownership is inherited).
      await client.query(`SET ROLE ${roles.analyticsOwner}`);
      await client.query("CREATE TABLE analytics_audit.stg_probe_p20240305 AS SELECT 1 AS x, date '2024-03-05' AS d");
      await client.query('CREATE TABLE analytics.stg_probe (x int, d date) PARTITION BY LIST (d)');
      await client.query('RESET ROLE');
      await client.query('BEGIN');
      await client.query('ALTER TABLE analytics_audit.fct_daily_metrics_p20240305 SET SCHEMA analytics');
      await client.query("ALTER TABLE analytics.fct_daily_metrics ATTACH PARTITION analytics.fct_daily_metrics_p20240305 FOR VALUES IN ('2024-03-05')");
      await client.query('ALTER TABLE analytics.fct_daily_metrics DETACH PARTITION analytics.fct_daily_metrics_p20240305');
      await client.query('ROLLBACK');
      await client.query('DROP TABLE analytics_audit.stg_probe_p20240305, analytics.stg_probe');
    } finally {
      client.release();
    }
    // New published tables are readable by the orchestrator and readers at once (default privileges).
    await pools.transform.query(`SET ROLE ${roles.analyticsOwner}; CREATE TABLE analytics.rpt_probe AS SELECT 1 AS x; RESET ROLE`);
    expect(await attempt('reporting', 'SELECT * FROM analytics.rpt_probe')).toBe('ok');
    expect(await attempt('orchestrator', 'SELECT * FROM analytics.rpt_probe')).toBe('ok');
  });

  it('may not write realtime or touch the orchestrator schema', async () => {
    expect(await attempt('transform', "DELETE FROM realtime.ad_events WHERE event_id = 'seed-1'")).toBe('42501');
    expect(await attempt('transform', INSERT_EVENT, event('transform-1'))).toBe('42501');
    expect(await attempt('transform', 'TRUNCATE realtime.flink_batches')).toBe('42501');
    expect(await attempt('transform', "UPDATE orchestrator.pipeline_runs SET status = 'failed'")).toBe('42501');
    expect(await attempt('transform', "INSERT INTO orchestrator.alerts (incident_key, pipeline, run_date, kind, text) VALUES ('k', 'p', $1, 'failure', 't')", [DAY])).toBe('42501');
    expect(await attempt('transform', 'SELECT * FROM orchestrator.pipeline_runs')).toBe('42501');
    expect(await attempt('transform', 'CREATE TABLE realtime.sneaky (x int)')).toBe('42501');
  });
});

describe('the orchestrator role (ledger, alerts, checks)', () => {
  it('writes the ledger and alerts, reads realtime and published analytics, keeps partitions, records a marker', async () => {
    expect(await attempt('orchestrator', "INSERT INTO orchestrator.pipeline_runs (workflow_id, run_id, pipeline, run_date, status) VALUES ('w2', 'r2', 'daily_etl', $1, 'running')", [DAY])).toBe('ok');
    expect(await attempt('orchestrator', "UPDATE orchestrator.pipeline_runs SET status = 'succeeded' WHERE workflow_id = 'w2'")).toBe('ok');
    expect(await attempt('orchestrator', "INSERT INTO orchestrator.alerts (incident_key, pipeline, run_date, kind, text) VALUES ('k1', 'dbt_daily_run', $1, 'failure', 't')", [DAY])).toBe('ok');
    expect(await attempt('orchestrator', 'SELECT count(*) FROM realtime.ad_events')).toBe('ok');
    expect(await attempt('orchestrator', 'SELECT * FROM analytics.fct_daily_metrics')).toBe('ok');
    expect(await attempt('orchestrator', 'SELECT * FROM realtime.maintain_ad_events_partitions($1::date, 2)', [DAY])).toBe('ok');
    expect(await attempt('orchestrator', "INSERT INTO realtime.flink_batches (run_date, row_count, watermark, job_id) VALUES ('2024-03-04', 0, '2024-03-05T00:00:00Z', 'roas-cli')")).toBe('ok');
  });

  it('may not drop or change analytics, write events, read what is under audit, or delete the ledger', async () => {
    expect(await attempt('orchestrator', 'DROP TABLE analytics.fct_daily_metrics')).toBe('42501');
    expect(await attempt('orchestrator', 'DELETE FROM analytics.fct_daily_metrics')).toBe('42501');
    expect(await attempt('orchestrator', "ALTER TABLE analytics.fct_daily_metrics DETACH PARTITION analytics.fct_daily_metrics_p20240304")).toBe('42501');
    expect(await attempt('orchestrator', 'SELECT * FROM analytics_audit.fct_daily_metrics_p20240305')).toBe('42501');
    expect(await attempt('orchestrator', INSERT_EVENT, event('orchestrator-1'))).toBe('42501');
    expect(await attempt('orchestrator', "DELETE FROM realtime.ad_events WHERE event_id = 'seed-1'")).toBe('42501');
    expect(await attempt('orchestrator', 'TRUNCATE realtime.ad_events')).toBe('42501');
    expect(await attempt('orchestrator', 'DELETE FROM realtime.flink_batches')).toBe('42501');
    expect(await attempt('orchestrator', 'DELETE FROM orchestrator.pipeline_runs')).toBe('42501');
    expect(await attempt('orchestrator', 'TRUNCATE orchestrator.alerts')).toBe('42501');
    expect(await attempt('orchestrator', 'CREATE TABLE analytics.sneaky (x int)')).toBe('42501');
  });
});

describe('the reporting role (report, dashboard, analysts)', () => {
  it('reads published analytics, the ledger and the Flink markers', async () => {
    expect(await attempt('reporting', 'SELECT * FROM analytics.fct_daily_metrics')).toBe('ok');
    expect(await attempt('reporting', 'SELECT * FROM orchestrator.pipeline_runs')).toBe('ok');
    expect(await attempt('reporting', 'SELECT * FROM orchestrator.alerts')).toBe('ok');
    expect(await attempt('reporting', 'SELECT * FROM realtime.flink_batches')).toBe('ok');
    // The record of cuts and of restatements, and the late rows per day (counts, never the events).
    expect(await attempt('reporting', 'SELECT * FROM realtime_cut.cuts')).toBe('ok');
    expect(await attempt('reporting', 'SELECT * FROM orchestrator.restatements')).toBe('ok');
    expect(await attempt('reporting', "SELECT * FROM realtime_cut.late_rows('2024-03-01', '2024-03-07')")).toBe('ok');
  });

  it('writes nothing and reads neither the days under audit nor the events', async () => {
    expect(await attempt('reporting', 'SELECT * FROM analytics_audit.fct_daily_metrics_p20240305')).toBe('42501');
    expect(await attempt('reporting', 'SELECT * FROM realtime.ad_events')).toBe('42501');
    expect(await attempt('reporting', "SELECT * FROM realtime_cut.take('2024-03-05', 'w', 'r', 'manual')")).toBe('42501');
    expect(await attempt('reporting', 'DELETE FROM orchestrator.restatements')).toBe('42501');
    expect(await attempt('reporting', "INSERT INTO analytics.fct_daily_metrics VALUES ('2024-03-04', 'x', 1)")).toBe('42501');
    expect(await attempt('reporting', 'DELETE FROM analytics.fct_daily_metrics')).toBe('42501');
    expect(await attempt('reporting', "UPDATE orchestrator.pipeline_runs SET status = 'failed'")).toBe('42501');
    expect(await attempt('reporting', "INSERT INTO orchestrator.alerts (incident_key, pipeline, run_date, kind, text) VALUES ('k2', 'p', $1, 'failure', 't')", [DAY])).toBe('42501');
    expect(await attempt('reporting', INSERT_EVENT, event('reporting-1'))).toBe('42501');
    expect(await attempt('reporting', 'DROP TABLE analytics.fct_daily_metrics')).toBe('42501');
    expect(await attempt('reporting', 'CREATE TABLE analytics.sneaky (x int)')).toBe('42501');
  });
});

describe('the roles migration', () => {
  it('runs again on another database of the same cluster, whose roles exist already', async () => {
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    const name = `${db.name}_again`;
    try {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      const other = new URL(db.url);
      other.pathname = `/${name}`;
      expect(await migrate(other.toString())).toContain('0007_roles');
      // Its grants are its own: the ingest role can write there too, and still not read.
      const ingest = new pg.Client({ connectionString: urlForRole(other.toString(), roles.ingest) });
      await ingest.connect();
      await ingest.query(INSERT_EVENT, event('other-db-1'));
      await expect(ingest.query('SELECT 1 FROM realtime.ad_events')).rejects.toMatchObject({ code: '42501' });
      await ingest.end();
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      await admin.end();
    }
  });
});
