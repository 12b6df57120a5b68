// The boundary with Flink as a real streaming sink meets it: rows for any day, whether or not
// its partition exists; a marker row that opens the gate by itself (LISTEN/NOTIFY), with no CLI
// call and no signal; markers that cannot be right refused or flagged; waits that say what they
// wait for. Real dev server, real worker, real dbt, real PostgreSQL.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { from as copyFrom } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDbtDailyRun } from '../../src/client/runs';
import { PROJECT_ROOT, type Config } from '../../src/platform/config';
import { addDays } from '../../src/core/dates';
import { AD_EVENT_COLUMNS, generateDayCsv } from '../../src/local/generator/events';
import type { flinkGate, FlinkGateResult } from '../../workflows/flink-gate';
import { gateStateQuery, progressQuery, workflowIds } from '../../src/core/signals';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import { withRealWorker } from '../helpers/real-worker';
import { connectDevServer, eventually, gateWaiting, uniqueTaskQueue } from '../helpers/temporal';

const roas = path.join(PROJECT_ROOT, 'bin', 'roas');
const today = () => new Date().toISOString().slice(0, 10);

describe('the Flink boundary', () => {
  const db = useTestDatabase(import.meta.url);
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  let config: Config;
  const artifactsDir = mkdtempSync(path.join(os.tmpdir(), 'roas-flink-boundary-'));

  beforeAll(async () => {
    temporal = await connectDevServer();
    config = testConfig({ DBT_ARTIFACTS_DIR: artifactsDir });
  });
  afterAll(async () => {
    await temporal?.close();
  });

  /** A day of generated events written the way a sink writes: COPY into the parent table, no partition made first. */
  async function sinkDay(date: string, events: number, seed: number): Promise<void> {
    const client = await db.pool.connect();
    try {
      const sink = client.query(copyFrom(`COPY realtime.ad_events (${AD_EVENT_COLUMNS.join(', ')}) FROM STDIN WITH (FORMAT csv)`));
      await pipeline(Readable.from(generateDayCsv({ date, events, seed })), sink);
    } finally {
      client.release();
    }
  }
  const dayCount = async (date: string) =>
    (
      await db.pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM realtime.ad_events WHERE event_time >= $1::date AT TIME ZONE 'UTC' AND event_time < ($1::date + 1) AT TIME ZONE 'UTC'`,
        [date],
      )
    ).rows[0]!.n;
  const cli = (args: string[]) =>
    execa(roas, args, {
      reject: false,
      timeout: 60_000,
      env: { DATABASE_URL: db.url, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_TASK_QUEUE: 'nobody-polls-this', LOG_LEVEL: 'warn' },
    });

  it('a sink writes any day: yesterday, today, 10 days ahead and 400 days back; the runs count every row', async () => {
    const yesterday = addDays(today(), -1);
    const longAgo = addDays(today(), -400);
    const ahead = addDays(today(), 10);
    // No partition exists for any of these days yet (the database is new).
    const parts = async () =>
      (await db.pool.query<{ name: string }>("SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'realtime.ad_events'::regclass")).rows.map(
        (r) => r.name,
      );
    expect(await parts()).toEqual(['realtime.ad_events_default']);
    await sinkDay(yesterday, 20_000, 11);
    await sinkDay(longAgo, 20_000, 12);
    await db.pool.query(
      `INSERT INTO realtime.ad_events (${AD_EVENT_COLUMNS.join(', ')}) VALUES
         ('ev-today', 'impression', now(), 'cmp_001', 'ag_001_1', 'google', 'mobile', 1000, 0, 'KRW', now()),
         ('ev-ahead', 'impression', $1::date + time '12:00' AT TIME ZONE 'UTC', 'cmp_001', 'ag_001_1', 'google', 'mobile', 1000, 0, 'KRW', now())`,
      [ahead],
    );
    const { rows: before } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM realtime.ad_events_default');
    expect(before[0]!.n).toBe(40_002);
    // The gate and validation see rows still in the default partition.
    expect(await dayCount(yesterday)).toBe(20_000);

    const taskQueue = uniqueTaskQueue('flink-any-day');
    const results = await withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl: db.url, taskQueue }, async () => {
      // Worker start-up already made the days ahead and adopted every row of the default partition.
      const { rows: left } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM realtime.ad_events_default');
      expect(left[0]!.n).toBe(0);
      const out = [];
      for (const date of [yesterday, longAgo]) {
        const handle = await startDbtDailyRun(temporal.client, config, date, { taskQueue });
        await gateWaiting(temporal.client, date);
        // The marker as Flink writes it: a plain INSERT. No signal, no CLI: the worker hears it.
        await db.pool.query(
          "INSERT INTO realtime.flink_batches (run_date, row_count, watermark, job_id) VALUES ($1, 20000, ($1::date + 1) AT TIME ZONE 'UTC', 'flink-test')",
          [date],
        );
        out.push(await handle.result());
      }
      return out;
    });
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    for (const date of [yesterday, longAgo]) {
      const name = `realtime.ad_events_p${date.replaceAll('-', '')}`;
      const { rows } = await db.pool.query<{ n: number; staged: number }>(
        `SELECT (SELECT count(*)::int FROM ${name}) AS n,
                (SELECT count(*)::int FROM analytics.stg_ad_events WHERE event_date = $1) AS staged`,
        [date],
      );
      expect(rows[0]).toEqual({ n: 20_000, staged: 20_000 });
    }
    expect(await parts()).toEqual(expect.arrayContaining([`realtime.ad_events_p${today().replaceAll('-', '')}`, `realtime.ad_events_p${ahead.replaceAll('-', '')}`]));
    const { rows: total } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM realtime.ad_events');
    expect(total[0]!.n).toBe(40_002);
  }, 300_000);

  it('a marker row opens a waiting gate at once (no re-check for an hour, no signal)', async () => {
    const date = '2026-03-03';
    await sinkDay(date, 5_000, 21);
    const taskQueue = uniqueTaskQueue('flink-notify');
    const { result, openedMs } = await withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl: db.url, taskQueue }, async () => {
      const handle = await startDbtDailyRun(temporal.client, config, date, { taskQueue, flinkGate: { recheckMs: 3_600_000, deadlineMs: 7_200_000 } });
      await gateWaiting(temporal.client, date);
      const wrote = Date.now();
      await db.pool.query(
        "INSERT INTO realtime.flink_batches (run_date, row_count, watermark, job_id) VALUES ($1, 5000, ($1::date + 1) AT TIME ZONE 'UTC', 'flink-test')",
        [date],
      );
      await eventually('the dbt run to leave the gate', async () => (await handle.query(progressQuery)).step !== 'waiting-for-flink', 20_000);
      const openedMs = Date.now() - wrote;
      return { result: await handle.result(), openedMs };
    });
    expect(result.status).toBe('succeeded');
    expect(openedMs).toBeLessThan(20_000);
    const gate: FlinkGateResult = await temporal.client.workflow.getHandle<typeof flinkGate>(workflowIds.flinkGate(date)).result();
    expect(gate).toMatchObject({ openedBy: 'signal' });
  }, 300_000);

  it('markers that cannot be right: refused or flagged, kept in the history, and shown by status', async () => {
    const date = '2026-03-10';
    await sinkDay(date, 3_000, 31);
    const insert = (d: string, n: number, watermark?: string) =>
      db.pool.query(
        "INSERT INTO realtime.flink_batches (run_date, row_count, watermark, job_id) VALUES ($1, $2, coalesce($3::timestamptz, ($1::date + 1) AT TIME ZONE 'UTC'), 'flink-test')",
        [d, n, watermark ?? null],
      );
    // Refused, never an error for the writer: 0 events while the day has rows; a watermark short of the day's end; a day not ended.
    expect((await insert(date, 0)).rowCount).toBe(0);
    expect((await insert(date, 3_000, `${date}T23:00:00Z`)).rowCount).toBe(0);
    expect((await insert(today(), 10)).rowCount).toBe(0);
    // Recorded with a flag: a count 40 % off.
    expect((await insert(date, 1_800)).rowCount).toBe(1);
    // A repeat with the same count is absorbed; a different count does not overwrite.
    expect((await insert(date, 1_800)).rowCount).toBe(0);
    expect((await insert(date, 2_999)).rowCount).toBe(0);
    const { rows: batch } = await db.pool.query("SELECT row_count::int AS n, events_in_table::int AS t, flag FROM realtime.flink_batches WHERE run_date = '2026-03-10'");
    expect(batch).toEqual([{ n: 1_800, t: 3_000, flag: 'count_mismatch' }]);
    const history = async (d: string) =>
      (await db.pool.query<{ action: string }>('SELECT action FROM realtime.flink_batch_history WHERE run_date = $1 ORDER BY id', [d])).rows.map((r) => r.action);
    expect(await history(date)).toEqual(['refused', 'refused', 'recorded', 'repeated', 'conflicting']);
    expect(await history(today())).toEqual(['refused']);

    // status says the marker and the data disagree, and how to fix it.
    const status = await cli(['status', '--date', date]);
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stdout).toContain('1,800 events in the marker, 3,000 in realtime.ad_events now');
    expect(status.stdout).toContain('--replace');
    expect(status.stdout).toMatch(/refused marker .* 0 events but realtime.ad_events has 3000/);

    // The CLI: the same refusals with exit 2; an empty day only with --allow-empty; --replace corrects.
    const early = await cli(['flink-complete', '--date', today()]);
    expect(early.exitCode).toBe(2);
    expect(early.stderr).toContain('has not ended yet');
    const zero = await cli(['flink-complete', '--date', date, '--row-count', '0', '--replace']);
    expect(zero.exitCode).toBe(2);
    expect(zero.stderr).toContain('the marker says 0 events but realtime.ad_events has 3000');
    const empty = '2026-03-11';
    const noEvents = await cli(['flink-complete', '--date', empty]);
    expect(noEvents.exitCode).toBe(2);
    expect(noEvents.stderr).toContain('has no events in realtime.ad_events yet');
    expect(noEvents.stderr).toContain('--allow-empty');
    const allowed = await cli(['flink-complete', '--date', empty, '--allow-empty']);
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    expect(allowed.stdout).toContain(`warning: ${empty} has no events at all`);
    const replaced = await cli(['flink-complete', '--date', date, '--replace', '--job-id', 'ops']);
    expect(replaced.exitCode, replaced.stderr).toBe(0);
    expect(replaced.stdout).toContain('replaced: 2026-03-10 is now complete with 3,000 events');
    // (A refusal by the CLI is told to the person and not written.)
    expect(await history(date)).toEqual(['refused', 'refused', 'recorded', 'repeated', 'conflicting', 'replaced']);
    const { rows: fixed } = await db.pool.query("SELECT row_count::int AS n, flag, job_id FROM realtime.flink_batches WHERE run_date = '2026-03-10'");
    expect(fixed).toEqual([{ n: 3_000, flag: null, job_id: 'ops' }]);

    // A range: each day recorded once; a bad day in it is refused and makes the exit code 2.
    await sinkDay('2026-03-12', 1_000, 32);
    await sinkDay('2026-03-13', 1_000, 33);
    const range = await cli(['flink-complete', '--from', '2026-03-12', '--to', '2026-03-14']);
    expect(range.exitCode).toBe(2);
    expect(range.stdout).toContain('recorded: 2026-03-12 complete (1,000 events)');
    expect(range.stdout).toContain('recorded: 2026-03-13 complete (1,000 events)');
    expect(range.stderr).toContain('2026-03-14 has no events');
    const both = await cli(['flink-complete', '--date', '2026-03-12', '--from', '2026-03-12', '--to', '2026-03-13']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('either --date, or --from and --to');
  }, 120_000);

  it('run --wait and status say what a run at the gate waits for', async () => {
    const date = '2026-03-20';
    await sinkDay(date, 2_000, 41);
    const taskQueue = uniqueTaskQueue('flink-wait-text');
    await withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl: db.url, taskQueue }, async () => {
      const env = { DATABASE_URL: db.url, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'warn' };
      const run = execa(roas, ['run', 'dbt', '--date', date, '--wait'], { reject: false, timeout: 240_000, env });
      let out = '';
      run.stdout?.on('data', (b: Buffer) => (out += b.toString()));
      await eventually('run --wait to print the gate', () => Promise.resolve(out.includes('waiting for Flink')), 60_000);
      expect(out).toMatch(new RegExp(`waiting for Flink to report ${date} complete \\(since \\d\\d:\\d\\d UTC, \\d+ s; if it is complete: roas flink-complete --date ${date}\\)`));
      expect(await temporal.client.workflow.getHandle(workflowIds.flinkGate(date)).query(gateStateQuery)).toBe('waiting');
      const status = await execa(roas, ['status', '--date', date], { reject: false, env });
      expect(status.stdout).toContain(`live dbt-daily-run-${date}: waiting for Flink to report ${date} complete`);
      expect(status.stdout).toContain(`flink: not reported complete yet (2,000 events so far); if the day is complete: roas flink-complete --date ${date}`);
      const hook = await execa(roas, ['flink-complete', '--date', date], { reject: false, env });
      expect(hook.exitCode, hook.stderr).toBe(0);
      const done = await run;
      expect(done.exitCode, done.stderr).toBe(0);
      expect(done.stdout).toContain(`succeeded: ${date}`);
    });
  }, 300_000);
});
