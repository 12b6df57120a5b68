// Only a marker row opens a Flink gate, and no value in a marker row fails its writer: what an
// outside attack found. A NOTIFY (anyone may send one) or a flinkComplete signal only makes a
// waiting gate look at realtime.flink_batches; every column of a marker is held to the input
// limits by the trigger, which refuses into the history instead of raising; the ingest role makes
// partitions only inside the limits. Real PostgreSQL, real dev server, the project's worker.
import path from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/platform/config';
import { addDays } from '../../src/core/dates';
import { LIMITS } from '../../src/core/limits';
import { flinkCompleteSignal, gateStateQuery, workflowIds } from '../../src/core/signals';
import { migrate } from '../../src/platform/db/migrate';
import { roleNames, urlForRole, type Component } from '../../src/platform/db/roles';
import type { flinkGate } from '../../workflows/flink-gate';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import { withRealWorker } from '../helpers/real-worker';
import { connectDevServer, gateWaiting, uniqueTaskQueue } from '../helpers/temporal';

const db = useTestDatabase(import.meta.url);
const roles = roleNames('roas');
const pools = {} as Record<Component, pg.Pool>;
const roas = path.join(PROJECT_ROOT, 'bin', 'roas');
let temporal: Awaited<ReturnType<typeof connectDevServer>>;

/** Today and now as the database sees them (the trigger's clock). */
async function dbNow(): Promise<{ today: string; nowMs: number }> {
  const { rows } = await db.pool.query<{ today: string; now: Date }>("SELECT (now() AT TIME ZONE 'UTC')::date::text AS today, now()");
  return { today: rows[0]!.today, nowMs: rows[0]!.now.getTime() };
}

/** The SQLSTATE PostgreSQL answered with; 'ok' when it ran. */
async function attempt(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<string> {
  try {
    await pool.query(sql, params);
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  }
}

beforeAll(async () => {
  temporal = await connectDevServer();
  for (const c of ['ingest', 'transform', 'orchestrator', 'reporting'] as const) {
    pools[c] = new pg.Pool({ connectionString: urlForRole(db.url, roles[c]), max: 2 });
    pools[c].on('error', () => {});
  }
});

afterAll(async () => {
  await Promise.all(Object.values(pools).map((p) => p.end()));
  await temporal?.close();
});

describe('a notification or a signal is a hint, never a proof', () => {
  it('NOTIFY from every role (a date, garbage, none) and a flinkComplete signal open no gate; the marker row does', async () => {
    const { today } = await dbNow();
    const date = addDays(today, -3);
    const taskQueue = uniqueTaskQueue('notify-hint');
    const config = testConfig({ TEMPORAL_TASK_QUEUE: taskQueue });
    const opened = await withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl: db.url, taskQueue }, async () => {
      const gate = await temporal.client.workflow.start<typeof flinkGate>('flinkGate', {
        workflowId: workflowIds.flinkGate(date),
        taskQueue,
        // No periodic look for an hour: only a signal could make it look within this test.
        args: [{ runDate: date, pipeline: 'dbt_daily_run', options: { recheckMs: 3_600_000, deadlineMs: 7_200_000 } }],
      });
      await gateWaiting(temporal.client, date);
      const senders: [string, pg.Pool][] = [
        ['reporting', pools.reporting],
        ['transform', pools.transform],
        ['orchestrator', pools.orchestrator],
        ['ingest', pools.ingest],
        ['owner', db.pool],
      ];
      const payloads = [date, undefined, 'garbage', '9999-12-31', '0000-01-01', `${date} `, addDays(today, 2), 'x'.repeat(7_000)];
      for (const [who, pool] of senders) {
        for (const payload of payloads) {
          const sent =
            payload === undefined
              ? await attempt(pool, 'NOTIFY roas_flink_complete')
              : await attempt(pool, "SELECT pg_notify('roas_flink_complete', $1)", [payload]);
          expect(sent, `${who} sends NOTIFY ${payload?.slice(0, 20) ?? '(no payload)'}`).toBe('ok');
        }
      }
      // What `roas flink-complete` sends, with the right date, while no marker exists.
      await gate.signal(flinkCompleteSignal, { runDate: date });
      // The worker hears a real marker within milliseconds; for 5 s the gate must stay shut.
      for (const until = Date.now() + 5_000; Date.now() < until; ) {
        expect(await gate.query(gateStateQuery)).toBe('waiting');
        await new Promise((r) => setTimeout(r, 200));
      }
      const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM realtime.flink_batches');
      expect(rows[0]!.n).toBe(0);
      // The marker as Flink writes it (an empty day is recorded, with a flag): heard, looked at, open.
      await pools.ingest.query("INSERT INTO realtime.flink_batches (run_date, row_count, watermark, job_id) VALUES ($1, 0, ($1::date + 1) AT TIME ZONE 'UTC', 'flink-test')", [date]);
      return gate.result();
    });
    expect(opened).toEqual({ runDate: date, openedBy: 'signal' });
  }, 180_000);
});

/** A marker row as a writer's driver may send it: typed values, any of them absent, odd or impossible. */
interface Marker {
  runDate: string | null;
  rowCount: string | null;
  watermark: string | null;
  jobId: string | null;
  /** undefined: the column is left out (its default, now()). */
  completedAt?: string | null;
  eventsInTable: string | null;
  flag: string | null;
  note: string | null;
}

const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };
/** A time as PostgreSQL reads it (past year 9999 too), and back. */
const iso = (ms: number) => new Date(ms).toISOString().replace(/^\+0*(\d+)-(\d\d)-(\d\d)T(.*)Z$/, '$1-$2-$3 $4+00');
const msOf = (s: string) => Date.parse(s.replace(/^(\d{5,6})-(\d\d)-(\d\d) (.*)\+00$/, (_, y: string, m: string, d: string, t: string) => `+${y.padStart(6, '0')}-${m}-${d}T${t}Z`));
const dayEndMs = (day: string) => Date.parse(`${addDays(day, 1)}T00:00:00Z`);
const isDay = (s: string | null): s is string => s !== null && /^\d{4}-\d{2}-\d{2}$/.test(s);

/** Generated against today: many values inside the limits (so some markers are recorded), and every kind outside them. */
function markerArbitrary(today: string): fc.Arbitrary<Marker> {
  // (Up to 9000, so that a watermark 400 days after the day still reads as an ISO time.)
  const anyDay = fc
    .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9000-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));
  const runDate = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: -400, max: -1 }).map((n) => addDays(today, n)) },
    { weight: 2, arbitrary: anyDay },
    fc.integer({ min: 0, max: 3 }).map((n) => addDays(today, n)),
    fc.constantFrom(null, 'infinity', '-infinity', '4713-01-01 BC', '0001-12-31 BC', '5874897-12-31', '1999-12-31', LIMITS.earliestDate, '0001-01-01', '9999-12-31'),
  );
  const rowCount = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 100_000 }).map(String) },
    fc.bigInt(INT64).map(String),
    fc.integer({ min: -5, max: -1 }).map(String),
    fc.constantFrom(null, '0', String(LIMITS.maxCount), String(LIMITS.maxCount + 1), String(INT64.max), String(INT64.min), '-1'),
  );
  const watermarkFrom = (day: string | null) =>
    fc.oneof(
      {
        weight: isDay(day) ? 6 : 0,
        arbitrary: fc
          .constantFrom(-86_400_000, -1, 0, 1, 300_000, 2 * 86_400_000, 400 * 86_400_000)
          .map((offset) => (isDay(day) ? iso(dayEndMs(day) + offset) : null)),
      },
      { weight: 2, arbitrary: fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9998-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()) },
      fc.constantFrom(null, 'infinity', '-infinity', '294276-12-31 23:59:59+00', '4713-01-01 00:00:00+00 BC'),
    );
  // PostgreSQL text cannot hold a NUL byte, and a writer's driver refuses one before sending
  // (PgJDBC: "Zero bytes may not occur in string parameters"): not a value the trigger can see.
  const noNul = (s: string | null) => (s === null ? null : s.replaceAll('\0', ''));
  const text = (max: number) => fc.string({ unit: 'binary', maxLength: max }).map(noNul);
  const jobId = fc
    .oneof(
      { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 120 }) },
      fc.string({ unit: 'binary', minLength: 190, maxLength: 230 }),
      fc.integer({ min: 195, max: 205 }).map((n) => 'ü'.repeat(n)),
      fc.constantFrom(null, '', '   ', '\x1b[2J', 'job\nid', 'tab\tjob', 'c1\u009bjob', 'x'.repeat(1_000_000), 'ジョブ-42', '🚀'.repeat(200)),
    )
    .map(noNul);
  const completedAt = (day: string | null, nowMs: number) =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      fc.constantFrom(null, 'infinity', '-infinity'),
      fc.constantFrom(-2 * 86_400_000, -3_600_000, -60_000, 300_000, 1_800_000, 86_400_000).map((o) => iso(nowMs + o)),
      fc.constantFrom(-3_600_000, 60_000, 3_600_000).map((o) => (isDay(day) ? iso(dayEndMs(day) + o) : iso(nowMs))),
    );
  return fc
    .record({ runDate, rowCount, jobId, eventsInTable: fc.oneof(fc.constant(null), fc.bigInt(INT64).map(String)), flag: fc.oneof(fc.constant(null), text(20), fc.constant('empty_day')), note: fc.oneof(fc.constant(null), text(300)) })
    .chain((m) => fc.record({ watermark: watermarkFrom(m.runDate), completedAt: completedAt(m.runDate, Date.now()) }).map((rest) => ({ ...m, ...rest })));
}

/** Why the marker must not be stored, by the rules of the contract; undefined when it may be. */
function mustRefuse(m: Marker, today: string, nowMs: number): string | undefined {
  const tomorrow = addDays(today, LIMITS.latestDaysAhead);
  if (!isDay(m.runDate) || m.runDate < LIMITS.earliestDate || m.runDate > tomorrow) return 'run_date';
  const count = m.rowCount === null ? undefined : BigInt(m.rowCount);
  if (count === undefined || count < 0n || count > BigInt(LIMITS.maxCount)) return 'row_count';
  // A time before Christ is finite, only short of any day; one past JavaScript's range is past the limits.
  const wm =
    m.watermark === null || /infinity/.test(m.watermark) ? undefined : /BC$/.test(m.watermark) ? -Infinity : /^294276/.test(m.watermark) ? Infinity : msOf(m.watermark);
  if (wm === undefined || wm > dayEndMs(tomorrow)) return 'watermark';
  const codePoints = m.jobId === null ? 0 : [...m.jobId].length;
  if (m.jobId === null || codePoints === 0) return 'job_id';
  if (codePoints > LIMITS.maxTextLength) return 'job_id';
  // eslint-disable-next-line no-control-regex -- control characters are what this looks for
  if (/[\u0001-\u001f\u007f-\u009f]/.test(m.jobId) || /^ *$/.test(m.jobId)) return 'job_id';
  const end = dayEndMs(m.runDate);
  if (m.completedAt) {
    const at = /infinity/.test(m.completedAt) ? undefined : msOf(m.completedAt);
    if (at === undefined || at > nowMs + 600_000 || (at < end && nowMs >= end)) return 'completed_at';
  }
  if (nowMs < end) return 'not ended';
  if (wm < end) return 'watermark short of the day';
  return undefined;
}

describe('the marker trigger never raises to the writer', () => {
  it('fuzz: every column of a marker row, inserted as the ingest role', async () => {
    const { today } = await dbNow();
    // Days recorded by the tests before this one count as recorded.
    const recorded = new Set((await db.pool.query<{ d: string }>('SELECT run_date::text AS d FROM realtime.flink_batches')).rows.map((r) => r.d));
    const outcomes = { inputs: 0, recorded: 0, refused: 0, absorbed: 0 };
    await fc.assert(
      fc.asyncProperty(markerArbitrary(today), async (m) => {
        outcomes.inputs += 1;
        const { today: dbToday, nowMs } = await dbNow();
        const { rows: before } = await db.pool.query<{ id: string }>('SELECT coalesce(max(id), 0) AS id FROM realtime.flink_batch_history');
        const columns = ['run_date', 'row_count', 'watermark', 'job_id', 'events_in_table', 'flag', 'note'];
        const casts = ['date', 'bigint', 'timestamptz', 'text', 'bigint', 'text', 'text'];
        const values: unknown[] = [m.runDate, m.rowCount, m.watermark, m.jobId, m.eventsInTable, m.flag, m.note];
        if (m.completedAt !== undefined) {
          columns.push('completed_at');
          casts.push('timestamptz');
          values.push(m.completedAt);
        }
        // Never an error for the writer, whatever it sent.
        const result = await pools.ingest.query(
          `INSERT INTO realtime.flink_batches (${columns.join(', ')}) VALUES (${casts.map((c, i) => `$${i + 1}::${c}`).join(', ')})`,
          values,
        );
        const { rows: history } = await db.pool.query<{ action: string; reason: string | null; job_id: string | null; run_date: string | null }>(
          'SELECT action, reason, job_id, run_date::text FROM realtime.flink_batch_history WHERE id > $1 ORDER BY id',
          [before[0]!.id],
        );
        // Every marker leaves exactly one line in the history, with a reason unless it was recorded cleanly.
        expect(history).toHaveLength(1);
        const h = history[0]!;
        expect(h.reason ?? '').not.toMatch(/could not be checked/);
        expect([...(h.job_id ?? '')].length).toBeLessThanOrEqual(LIMITS.maxTextLength + 40);
        const why = mustRefuse(m, dbToday, nowMs);
        const stored = why === undefined && !recorded.has(m.runDate!);
        expect({ stored: result.rowCount === 1, why }).toEqual({ stored, why });
        if (stored) {
          recorded.add(m.runDate!);
          outcomes.recorded += 1;
          expect(h.action).toBe('recorded');
          const { rows } = await db.pool.query<{ events: string; flag: string | null; finite: boolean; job_id: string }>(
            'SELECT events_in_table AS events, flag, isfinite(completed_at) AND isfinite(watermark) AS finite, job_id FROM realtime.flink_batches WHERE run_date = $1',
            [m.runDate],
          );
          // What only the database can know is the database's, whatever the writer put there.
          expect(rows).toEqual([{ events: '0', flag: m.rowCount === '0' ? 'empty_day' : null, finite: true, job_id: m.jobId }]);
        } else if (why !== undefined && why !== 'watermark short of the day') {
          outcomes.refused += 1;
          expect(h.action).toBe('refused');
          expect(h.reason).toBeTruthy();
        } else {
          // A valid repeat of a recorded day, or a watermark short of the day's end (refused, or absorbed as a repeat).
          outcomes.absorbed += 1;
          expect(['refused', 'repeated', 'conflicting']).toContain(h.action);
          expect(h.reason).toBeTruthy();
        }
      }),
      { numRuns: 200 },
    );
    console.log(`marker fuzz: ${outcomes.inputs} inputs (${outcomes.recorded} recorded, ${outcomes.refused} refused for their values, ${outcomes.absorbed} repeats or short watermarks)`);
    // Not a fuzz that only ever refuses.
    expect(outcomes.recorded).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  }, 120_000);

  it('the markers of the report: refused with their reasons, and status shows none of it in full', async () => {
    const { today } = await dbNow();
    const date = addDays(today, -10);
    const end = `${addDays(date, 1)}T00:00:00Z`;
    // The fuzz above may have recorded a valid marker of this very day: start from none.
    await db.pool.query('DELETE FROM realtime.flink_batches WHERE run_date = $1', [date]);
    const insert = (runDate: string | null, rowCount: string | null, watermark: string | null, jobId: string | null) =>
      pools.ingest.query('INSERT INTO realtime.flink_batches (run_date, row_count, watermark, job_id) VALUES ($1::date, $2::bigint, $3::timestamptz, $4::text)', [
        runDate,
        rowCount,
        watermark,
        jobId,
      ]);
    const cases: [Parameters<typeof insert>, RegExp][] = [
      [[date, '-1', end, 'flink'], /row_count -1 is out of range/],
      [[date, '5', null, 'flink'], /watermark is missing/],
      [[date, '5', 'infinity', 'flink'], /the watermark infinity is not a time/],
      [[date, '5', '-infinity', 'flink'], /the watermark -infinity is not a time/],
      [[date, '5', end, 'x'.repeat(5_000_000)], /job_id is 5000000 characters long; at most 200 are allowed/],
      [['1926-01-01', '5', '1926-01-02T00:00:00Z', 'flink'], /run_date 1926-01-01 is out of range/],
      [['infinity', '5', end, 'flink'], /run_date infinity is out of range/],
      [[null, '5', end, 'flink'], /run_date is missing/],
      [[date, null, end, null], /row_count is missing/],
    ];
    for (const [args, reason] of cases) {
      const { rows: before } = await db.pool.query<{ id: string }>('SELECT coalesce(max(id), 0) AS id FROM realtime.flink_batch_history');
      expect((await insert(...args)).rowCount, String(reason)).toBe(0);
      const { rows } = await db.pool.query<{ action: string; reason: string; job_id: string | null }>(
        'SELECT action, reason, job_id FROM realtime.flink_batch_history WHERE id > $1',
        [before[0]!.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]!.action).toBe('refused');
      expect(rows[0]!.reason).toMatch(reason);
      expect((rows[0]!.job_id ?? '').length).toBeLessThan(300);
    }
    expect((await db.pool.query('SELECT 1 FROM realtime.flink_batches WHERE run_date = $1', [date])).rowCount).toBe(0);

    // A marker stored before these checks existed, with a 5 MB job_id: status cuts it.
    const old = addDays(today, -11);
    await db.pool.query('DELETE FROM realtime.flink_batches WHERE run_date = $1', [old]);
    await db.pool.query(`ALTER TABLE realtime.flink_batches DISABLE TRIGGER flink_batches_accept;
      INSERT INTO realtime.flink_batches (run_date, row_count, watermark, job_id) VALUES ('${old}', 0, '${addDays(old, 1)}T00:00:00Z', repeat('y', 5000000));
      ALTER TABLE realtime.flink_batches ENABLE TRIGGER flink_batches_accept`);
    const env = { DATABASE_URL: db.url, TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_TASK_QUEUE: 'nobody-polls-this', LOG_LEVEL: 'warn' };
    // The CLI's path is held to the same limits, --replace (an UPDATE the trigger does not see) too.
    const longId = await execa(roas, ['flink-complete', '--date', date, '--allow-empty', '--job-id', 'j'.repeat(300)], { reject: false, timeout: 60_000, env });
    expect(longId.exitCode).toBe(2);
    expect(longId.stderr).toMatch(/job[-_]id is 300 characters long; at most 200 are allowed/);
    const replace = await execa(roas, ['flink-complete', '--date', old, '--replace', '--allow-empty', '--job-id', 'bad\x1bjob'], {
      reject: false,
      timeout: 60_000,
      env,
    });
    expect(replace.exitCode).toBe(2);
    expect(replace.stderr).toMatch(/job[-_]id (is blank or )?\S* ?contains control characters/);
    // An UPDATE by hand (the orchestrator may correct a marker) is held to the limits too.
    const stored = addDays(today, -12);
    await pools.ingest.query("INSERT INTO realtime.flink_batches (run_date, row_count, watermark, job_id) VALUES ($1, 0, ($1::date + 1) AT TIME ZONE 'UTC', 'flink')", [stored]);
    for (const set of ["watermark = 'infinity'", 'row_count = -1', "job_id = ''", "run_date = '1926-01-01'", "completed_at = '-infinity'"]) {
      expect(await attempt(pools.orchestrator, `UPDATE realtime.flink_batches SET ${set} WHERE run_date = $1`, [stored]), set).toBe('23514');
    }
    expect(await attempt(pools.orchestrator, "UPDATE realtime.flink_batches SET job_id = 'ops' WHERE run_date = $1", [stored])).toBe('ok');
    for (const day of [date, old]) {
      const status = await execa(roas, ['status', '--date', day], { reject: false, timeout: 60_000, env });
      expect(status.exitCode, status.stderr).toBe(0);
      expect(status.stdout.length).toBeLessThan(5_000);
      if (day === date) expect(status.stdout).toContain('job_id is 5000000 characters long');
      else expect(status.stdout).toMatch(new RegExp(`by y{${LIMITS.maxTextLength + 40}}… \\(5000000 characters\\)`));
    }
  }, 120_000);
});

describe('the limits in the database', () => {
  it('are the application limits, readable by every role, and put back by every migrate', async () => {
    const expected = {
      earliest_date: LIMITS.earliestDate,
      latest_days_ahead: LIMITS.latestDaysAhead,
      partition_days_ahead: LIMITS.partitionDaysAhead,
      max_count: String(LIMITS.maxCount),
      max_text_length: LIMITS.maxTextLength,
    };
    const read = async (pool: pg.Pool) =>
      (
        await pool.query<typeof expected>(
          'SELECT earliest_date::text, latest_days_ahead, partition_days_ahead, max_count, max_text_length FROM realtime.input_limits',
        )
      ).rows;
    for (const pool of [db.pool, ...Object.values(pools)]) expect(await read(pool)).toEqual([expected]);
    await db.pool.query("UPDATE realtime.input_limits SET max_text_length = 5, earliest_date = '1900-01-01'");
    expect(await migrate(db.url)).toEqual([]);
    expect(await read(db.pool)).toEqual([expected]);
  });

  it('the ingest role makes partitions only for days inside them; the maintenance adopts only those days', async () => {
    const { today } = await dbNow();
    const partitions = async () =>
      (
        await db.pool.query<{ name: string }>("SELECT inhrelid::regclass::text AS name FROM pg_inherits WHERE inhparent = 'realtime.ad_events'::regclass ORDER BY 1")
      ).rows.map((r) => r.name);
    const before = await partitions();
    for (const day of ['1926-01-01', '1999-12-31', addDays(today, 2), addDays(today, 400), '9999-12-31', 'infinity', '-infinity']) {
      expect(await attempt(pools.ingest, 'SELECT realtime.ensure_ad_events_partition($1::date)', [day]), day).toBe('22023');
    }
    expect(await partitions()).toEqual(before);
    for (const day of [LIMITS.earliestDate, addDays(today, 1)]) {
      expect(await attempt(pools.ingest, 'SELECT realtime.ensure_ad_events_partition($1::date)', [day]), day).toBe('ok');
    }
    expect(await partitions()).toEqual(
      [...new Set([...before, `realtime.ad_events_p${LIMITS.earliestDate.replaceAll('-', '')}`, `realtime.ad_events_p${addDays(today, 1).replaceAll('-', '')}`])].sort(),
    );
    // The maintenance: no more days ahead than the limits, no day out of them.
    const maintain = 'SELECT count(*) FROM realtime.maintain_ad_events_partitions($1::date, $2)';
    expect(await attempt(pools.orchestrator, maintain, [today, 100_000])).toBe('22023');
    expect(await attempt(pools.orchestrator, maintain, ['1926-01-01', 3])).toBe('22023');
    expect(await attempt(pools.orchestrator, maintain, ['infinity', 3])).toBe('22023');
    expect(await attempt(pools.ingest, maintain, [today, 3])).toBe('42501');
    // What these functions use inside is their owner's alone.
    for (const pool of [pools.ingest, pools.orchestrator]) {
      expect(await attempt(pool, "SELECT realtime.create_ad_events_partition('1926-01-01')")).toBe('42501');
      expect(await attempt(pool, "SELECT realtime.flink_marker_refused(NULL, NULL, NULL, 'forged')")).toBe('42501');
    }
    // Rows of days outside the limits wait in the default partition; a day inside is adopted.
    const event = (id: string, at: string) =>
      pools.ingest.query(
        `INSERT INTO realtime.ad_events (event_id, event_type, event_time, campaign_id, ad_group_id, channel, device, cost_micros, revenue_micros, currency, ingested_at)
         VALUES ($1, 'impression', $2, 'cmp_001', 'ag_001_1', 'google', 'mobile', 1, 0, 'KRW', now())`,
        [id, at],
      );
    const far = addDays(today, LIMITS.partitionDaysAhead + 30);
    const inside = addDays(today, -50);
    await event('e-1926', '1926-01-01T12:00:00Z');
    await event('e-far', `${far}T12:00:00Z`);
    await event('e-inside', `${inside}T12:00:00Z`);
    const { rows: moved } = await pools.orchestrator.query<{ day: string; moved_rows: string }>(
      `SELECT day::text, moved_rows FROM realtime.maintain_ad_events_partitions($1::date, 8)`,
      [addDays(today, -1)],
    );
    expect(moved).toEqual([{ day: inside, moved_rows: '1' }]);
    const { rows: left } = await db.pool.query<{ event_id: string }>('SELECT event_id FROM realtime.ad_events_default ORDER BY 1');
    expect(left.map((r) => r.event_id)).toEqual(['e-1926', 'e-far']);
    const made = await partitions();
    expect(made).not.toContain('realtime.ad_events_p19260101');
    expect(made).not.toContain(`realtime.ad_events_p${far.replaceAll('-', '')}`);
    expect(made).toContain(`realtime.ad_events_p${addDays(today, 7).replaceAll('-', '')}`);
  });
});
