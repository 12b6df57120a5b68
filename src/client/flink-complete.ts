// The Flink-complete record of a day: Flink's JDBC sink inserts a marker row into
// realtime.flink_batches, where a trigger checks it against the data, keeps it in
// realtime.flink_batch_history and NOTIFYs the worker. `roas flink-complete` writes the same row
// for people and scripts (and signals the gate itself, in case no worker is listening).
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type pg from 'pg';
import { clip, LIMITS } from '../core/limits';
import { flinkCompleteSignal, workflowIds } from '../core/signals';

export interface FlinkCompleteInput {
  runDate: string;
  /** Events Flink wrote for the day; counted from the table when omitted. */
  rowCount?: number;
  /** Event-time watermark Flink reached (ISO); end of the day when omitted. */
  watermark?: string;
  jobId?: string;
  /** Replace an earlier record of the day (kept in the history). */
  replace?: boolean;
  /** Record a day with no events at all (refused otherwise, since it usually means "too early"). */
  allowEmpty?: boolean;
}

export type FlinkCompleteOutcome = 'recorded' | 'replaced' | 'repeated' | 'conflicting';

export interface FlinkCompleteRecord {
  runDate: string;
  outcome: FlinkCompleteOutcome;
  completedAt: string;
  rowCount: number;
  eventsInTable: number;
  /** count_mismatch or empty_day when the marker and the data disagree (recorded anyway). */
  flag: string | null;
  note: string | null;
}

/** A marker the database would not record, or one the CLI will not write without a flag. */
export class FlinkMarkerRefused extends Error {
  override name = 'FlinkMarkerRefused';
}

interface Check {
  events_in_table: string;
  refusal: string | null;
  flag: string | null;
  note: string | null;
}

interface BatchRow {
  run_date: string;
  completed_at: Date;
  row_count: string;
  events_in_table: string | null;
  flag: string | null;
  note: string | null;
}

export async function recordFlinkComplete(pool: pg.Pool, input: FlinkCompleteInput): Promise<FlinkCompleteRecord> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // The same per-day lock as the table's trigger: markers of one day are recorded one at a time.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('realtime.flink_batches'), $1::date - date '2000-01-01')`, [input.runDate]);
    const counted = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM realtime.ad_events
       WHERE event_time >= $1::date AT TIME ZONE 'UTC' AND event_time < ($1::date + 1) AT TIME ZONE 'UTC'`,
      [input.runDate],
    );
    const rowCount = input.rowCount ?? Number(counted.rows[0]!.n);
    const { watermark, jobId } = markerFields(input);
    // The limits the table's trigger holds every marker to, for this path too (--replace updates
    // the row, which the trigger does not see): a person gets the trigger's answer, and nothing is written.
    const { rows: limits } = await client.query<{ refusal: string | null }>(
      `SELECT realtime.flink_marker_input_refusal((SELECT l FROM realtime.input_limits l WHERE l.id), $1::date, $2::bigint,
                coalesce($3::timestamptz, ($1::date + 1) AT TIME ZONE 'UTC'), $4::text, now()) AS refusal`,
      [input.runDate, rowCount, watermark, jobId],
    );
    if (limits[0]?.refusal) throw new FlinkMarkerRefused(`${input.runDate} cannot be recorded complete: ${limits[0].refusal}.`);
    const { rows: checks } = await client.query<Check>(
      `SELECT * FROM realtime.check_flink_marker($1::date, $2::bigint, coalesce($3::timestamptz, ($1::date + 1) AT TIME ZONE 'UTC'))`,
      [input.runDate, rowCount, watermark],
    );
    const check = checks[0]!;
    if (check.refusal) throw new FlinkMarkerRefused(`${input.runDate} cannot be recorded complete: ${check.refusal}.`);
    if (check.flag === 'empty_day' && !input.allowEmpty) {
      throw new FlinkMarkerRefused(
        `${input.runDate} has no events in realtime.ad_events yet: if Flink is still writing, wait; if the day really had none, pass --allow-empty.`,
      );
    }
    const outcome = await writeMarker(client, input, rowCount, check);
    const { rows } = await client.query<BatchRow>(
      'SELECT run_date::text, completed_at, row_count, events_in_table, flag, note FROM realtime.flink_batches WHERE run_date = $1',
      [input.runDate],
    );
    await client.query('COMMIT');
    const r = rows[0]!;
    return {
      runDate: r.run_date,
      outcome,
      completedAt: r.completed_at.toISOString(),
      rowCount: Number(r.row_count),
      eventsInTable: Number(r.events_in_table ?? check.events_in_table),
      flag: r.flag,
      note: r.note,
    };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

function markerFields(input: FlinkCompleteInput): { watermark: string | null; jobId: string } {
  return { watermark: input.watermark ?? null, jobId: input.jobId ?? 'roas-cli' };
}

/** Writes the checked marker: --replace updates the day's row (its old one goes to the history); otherwise the trigger decides. */
async function writeMarker(client: pg.PoolClient, input: FlinkCompleteInput, rowCount: number, check: Check): Promise<FlinkCompleteOutcome> {
  const { watermark, jobId } = markerFields(input);
  const existing = await client.query<BatchRow>('SELECT row_count FROM realtime.flink_batches WHERE run_date = $1', [input.runDate]);
  if (existing.rows.length && input.replace) {
    await client.query(
      `INSERT INTO realtime.flink_batch_history (run_date, action, row_count, watermark, job_id, events_in_table, reason)
       SELECT run_date, 'replaced', $2, coalesce($3::timestamptz, (run_date + 1) AT TIME ZONE 'UTC'), $4, $5,
              format('replaces the record of %s events by %s at %s', row_count, job_id, completed_at)
       FROM realtime.flink_batches WHERE run_date = $1`,
      [input.runDate, rowCount, watermark, jobId, check.events_in_table],
    );
    await client.query(
      `UPDATE realtime.flink_batches SET row_count = $2, watermark = coalesce($3::timestamptz, (run_date + 1) AT TIME ZONE 'UTC'), job_id = $4,
         completed_at = now(), events_in_table = $5, flag = $6, note = $7
       WHERE run_date = $1`,
      [input.runDate, rowCount, watermark, jobId, check.events_in_table, check.flag, check.note],
    );
    return 'replaced';
  }
  // The trigger decides and writes the history: recorded, or (a record exists) repeated / conflicting.
  const inserted = await client.query(
    `INSERT INTO realtime.flink_batches (run_date, row_count, watermark, job_id)
     VALUES ($1, $2, coalesce($3::timestamptz, ($1::date + 1) AT TIME ZONE 'UTC'), $4) RETURNING run_date`,
    [input.runDate, rowCount, watermark, jobId],
  );
  return inserted.rowCount ? 'recorded' : Number(existing.rows[0]?.row_count) === rowCount ? 'repeated' : 'conflicting';
}

/** Signals the date's gate; false when no gate is running (nothing is waiting, which is fine). */
export async function signalFlinkGate(client: Client, runDate: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowIds.flinkGate(runDate)).signal(flinkCompleteSignal, { runDate });
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * How much of a marker's job_id `status` shows: the longest the trigger takes, and room for the
 * note of length it adds to one it cut; anything longer (stored before it checked) is cut here.
 */
const JOB_ID_SHOWN = LIMITS.maxTextLength + 40;

/** What `status` says of a day's Flink side: the marker, the data now, and markers not taken. */
/** What `status` says of a day's Flink side; `ended` false for a day that has not ended (UTC), which nobody can mark complete yet. */
export async function describeFlinkDay(pool: pg.Pool, runDate: string, ended = true): Promise<string[]> {
  const { rows: marker } = await pool.query<BatchRow & { job_id: string }>(
    'SELECT run_date::text, completed_at, row_count, events_in_table, flag, note, job_id FROM realtime.flink_batches WHERE run_date = $1',
    [runDate],
  );
  const { rows: now } = await pool.query<{ n: string; tolerance: string }>(
    `SELECT count(*) AS n, realtime.flink_count_tolerance() AS tolerance FROM realtime.ad_events
     WHERE event_time >= $1::date AT TIME ZONE 'UTC' AND event_time < ($1::date + 1) AT TIME ZONE 'UTC'`,
    [runDate],
  );
  const { rows: notTaken } = await pool.query<{ action: string; recorded_at: Date; row_count: string | null; job_id: string | null; reason: string | null }>(
    `SELECT action, recorded_at, row_count, job_id, reason FROM realtime.flink_batch_history
     WHERE run_date = $1 AND action IN ('refused', 'conflicting', 'replaced') ORDER BY id DESC LIMIT 3`,
    [runDate],
  );
  const fmt = (n: number | string) => Number(n).toLocaleString('en-US');
  const events = Number(now[0]!.n);
  const lines: string[] = [];
  const m = marker[0];
  if (!m) {
    const hint = ended ? `; if the day is complete: roas flink-complete --date ${runDate}` : '; the day has not ended yet (UTC)';
    lines.push(`flink: not reported complete yet (${fmt(events)} events so far)${hint}`);
  } else {
    lines.push(`flink: complete at ${m.completed_at.toISOString()} by ${clip(m.job_id, JOB_ID_SHOWN)} (${fmt(m.row_count)} events in the marker, ${fmt(events)} in realtime.ad_events now)`);
    const tolerance = Number(now[0]!.tolerance);
    const marked = Number(m.row_count);
    if (m.flag) lines.push(`  warning: ${m.note ?? m.flag}`);
    if (Math.abs(marked - events) > tolerance * Math.max(marked, events, 1) && (m.flag !== 'count_mismatch' || Number(m.events_in_table) !== events)) {
      lines.push(
        `  warning: the marker and the data disagree now (${fmt(marked)} vs ${fmt(events)}); if the marker is wrong: roas flink-complete --date ${runDate} --replace [--row-count N]`,
      );
    }
  }
  for (const h of notTaken) {
    // Markers refused for their values may lack any of them, or carry text nobody should have to read in full.
    const from = h.job_id === null ? 'a writer without a job_id' : clip(h.job_id, JOB_ID_SHOWN);
    const count = h.row_count === null ? 'no count' : `${fmt(h.row_count)} events`;
    lines.push(`  ${h.action} marker at ${h.recorded_at.toISOString()} from ${from} (${count})${h.reason ? `: ${clip(h.reason, 400)}` : ''}`);
  }
  return lines;
}
