// The hook the Flink job calls when a day is complete: record it durably, then wake the gate
// if one is waiting. Either half alone is enough for the run to proceed: the gate re-checks the
// table, and a run that starts later finds the row at once.
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type pg from 'pg';
import { flinkCompleteSignal, workflowIds } from '../workflows/signals';

export interface FlinkCompleteInput {
  runDate: string;
  /** Events Flink wrote for the day; counted from the table when omitted. */
  rowCount?: number;
  /** Event-time watermark Flink reached (ISO); end of the day when omitted. */
  watermark?: string;
  jobId?: string;
}

export interface FlinkCompleteRecord {
  runDate: string;
  completedAt: string;
  rowCount: number;
  /** False when the date was already recorded (a repeated call): the first record stands. */
  inserted: boolean;
}

export async function recordFlinkComplete(pool: pg.Pool, input: FlinkCompleteInput): Promise<FlinkCompleteRecord> {
  const { rows } = await pool.query<{ run_date: string; completed_at: Date; row_count: string; inserted: boolean }>(
    `WITH counted AS (
       SELECT coalesce($2::bigint, (SELECT count(*) FROM realtime.ad_events
         WHERE event_time >= $1::date AT TIME ZONE 'UTC' AND event_time < ($1::date + 1) AT TIME ZONE 'UTC')) AS n
     ), ins AS (
       INSERT INTO realtime.flink_batches (run_date, row_count, watermark, job_id)
       SELECT $1::date, n, coalesce($3::timestamptz, ($1::date + 1) AT TIME ZONE 'UTC'), $4 FROM counted
       ON CONFLICT (run_date) DO NOTHING
       RETURNING run_date::text, completed_at, row_count, true AS inserted
     )
     SELECT * FROM ins
     UNION ALL
     SELECT run_date::text, completed_at, row_count, false FROM realtime.flink_batches
     WHERE run_date = $1::date AND NOT EXISTS (SELECT 1 FROM ins)`,
    [input.runDate, input.rowCount ?? null, input.watermark ?? null, input.jobId ?? 'roas-cli'],
  );
  const r = rows[0]!;
  return { runDate: r.run_date, completedAt: r.completed_at.toISOString(), rowCount: Number(r.row_count), inserted: r.inserted };
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
