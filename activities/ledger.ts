// The run ledger (orchestrator.pipeline_runs) and the Flink table, through a pg pool.
// Parameterised queries only.
import type pg from 'pg';
import type { PipelineMetrics } from '../src/platform/metrics';
import type { LedgerStart, LedgerUpdate, PipelineName } from '../src/core/types';
import { tell, type ObserverDeps } from './observers';

export interface LedgerDeps extends ObserverDeps {
  pool: pg.Pool;
  metrics?: PipelineMetrics;
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

export function createLedgerActivities(deps: LedgerDeps) {
  const { pool, metrics } = deps;
  return {
    /** The latest successful run of the pipeline for the date, if any. */
    async findSucceededRun(pipeline: PipelineName, runDate: string): Promise<{ workflowId: string; runId: string; finishedAt: string } | null> {
      const { rows } = await pool.query<{ workflow_id: string; run_id: string; finished_at: Date }>(
        `SELECT workflow_id, run_id, finished_at FROM orchestrator.pipeline_runs
         WHERE pipeline = $1 AND run_date = $2 AND status = 'succeeded'
         ORDER BY finished_at DESC LIMIT 1`,
        [pipeline, runDate],
      );
      const r = rows[0];
      return r ? { workflowId: r.workflow_id, runId: r.run_id, finishedAt: r.finished_at.toISOString() } : null;
    },

    /** A run that did nothing because its date already succeeded: in the ledger, with why. */
    async recordRunSkipped(skip: LedgerStart & { reason: string }): Promise<void> {
      await pool.query(
        `INSERT INTO orchestrator.pipeline_runs (workflow_id, run_id, pipeline, run_date, status, trigger, scheduled_at, current_step, finished_at, summary)
         VALUES ($1, $2, $3, $4, 'skipped', $5, $6, 'skipped', now(), jsonb_build_object('skipped', $7::text))
         ON CONFLICT (workflow_id, run_id) DO NOTHING`,
        [skip.workflowId, skip.runId, skip.pipeline, skip.runDate, skip.trigger, skip.scheduledAt, skip.reason],
      );
    },

    async recordRunStarted(start: LedgerStart): Promise<void> {
      const { rowCount } = await pool.query(
        `INSERT INTO orchestrator.pipeline_runs (workflow_id, run_id, pipeline, run_date, status, trigger, scheduled_at, current_step)
         VALUES ($1, $2, $3, $4, 'running', $5, $6, 'starting')
         ON CONFLICT (workflow_id, run_id) DO NOTHING`,
        [start.workflowId, start.runId, start.pipeline, start.runDate, start.trigger, start.scheduledAt],
      );
      // Once per run: a retried activity finds its row there already.
      if (rowCount) await tell(deps, 'runStarted', { ...start, at: new Date().toISOString() });
    },

    /** Returns the row's finished_at (set by the database clock when `finished`). */
    async updateRun(u: LedgerUpdate): Promise<{ finishedAt: string | null }> {
      const { rows } = await pool.query<{ finished_at: Date | null; started_at: Date; pipeline: string; run_date: string; status: string; sla_met: boolean | null }>(
        `UPDATE orchestrator.pipeline_runs SET
           status = coalesce($3, status),
           current_step = coalesce($4, current_step),
           attempts = greatest(attempts, coalesce($5, attempts)),
           sla_met = CASE WHEN $6::boolean IS NULL THEN sla_met ELSE $6 END,
           error_type = coalesce($7, error_type),
           error = coalesce($8, error),
           summary = summary || coalesce($9::jsonb, '{}'::jsonb),
           finished_at = CASE WHEN $10 THEN now() ELSE finished_at END
         WHERE workflow_id = $1 AND run_id = $2
         RETURNING finished_at, started_at, pipeline, to_char(run_date, 'YYYY-MM-DD') AS run_date, status, sla_met`,
        [
          u.workflowId,
          u.runId,
          u.status ?? null,
          u.currentStep ?? null,
          u.attempts ?? null,
          u.slaMet ?? null,
          u.errorType ?? null,
          u.error ?? null,
          u.summary ? JSON.stringify(u.summary) : null,
          u.finished ?? false,
        ],
      );
      const row = rows[0];
      if (u.finished && row?.finished_at) {
        metrics?.runFinished({ pipeline: row.pipeline, status: row.status }, (row.finished_at.getTime() - row.started_at.getTime()) / 1000, row.sla_met);
        if (FINAL.has(row.status)) {
          const status = row.status as 'succeeded' | 'failed' | 'cancelled';
          const ref = { pipeline: row.pipeline, runDate: row.run_date, workflowId: u.workflowId, runId: u.runId };
          await tell(deps, 'runFinished', { ...ref, status, errorType: u.errorType ?? null, error: u.error ?? null, at: row.finished_at.toISOString() });
        }
      }
      return { finishedAt: row?.finished_at?.toISOString() ?? null };
    },
  };
}

/** The activities a daily run uses on the events' side: partitions and the Flink marker. */
export function createFlinkTableActivities({ pool }: { pool: pg.Pool }) {
  return {
    /**
     * The partition maintenance every daily run does before it looks at the date: the run date's
     * partition and the days ahead of today exist, and rows that landed in the default partition
     * (their day had no partition yet) move into their day's partition. Returns the moved days.
     */
    async maintainEventPartitions(input: { runDate: string; daysAhead?: number }): Promise<{ day: string; movedRows: number }[]> {
      return maintainEventPartitions(pool, input.runDate, input.daysAhead);
    },

    /**
     * True when Flink has reported the date complete (realtime.flink_batches has it) and the
     * day's rows have caught up with the marker's count (a streaming job's marker can arrive a
     * moment before its last events); a marker whose rows stay short opens the gate anyway
     * after a grace period, and the daily checks warn about it.
     */
    async isFlinkComplete(runDate: string): Promise<boolean> {
      return (await flinkMarkerState(pool, runDate)) === 'ready';
    },
  };
}

/** See the activity of the same name; also run once at worker start. */
export async function maintainEventPartitions(pool: pg.Pool, runDate: string, daysAhead = 7): Promise<{ day: string; movedRows: number }[]> {
  await pool.query('SELECT realtime.ensure_ad_events_partition($1::date)', [runDate]);
  const { rows } = await pool.query<{ day: string; moved_rows: string }>(
    `SELECT day::text, moved_rows FROM realtime.maintain_ad_events_partitions((now() AT TIME ZONE 'UTC')::date - 1, $1)`,
    [daysAhead + 1],
  );
  return rows.map((r) => ({ day: r.day, movedRows: Number(r.moved_rows) }));
}

/**
 * The daily runs waiting at their Flink gate now, from the ledger (shared by every replica): the
 * gate is a run's first step, so it has waited since the run started. Rows older than a day are
 * left out: past the gate's deadline, a row still "waiting" belongs to a run that was terminated.
 */
export async function flinkGatesWaiting(pool: pg.Pool): Promise<{ pipeline: string; runDate: string; since: Date }[]> {
  const { rows } = await pool.query<{ pipeline: string; run_date: string; started_at: Date }>(
    `SELECT pipeline, run_date::text AS run_date, min(started_at) AS started_at FROM orchestrator.pipeline_runs
     WHERE status = 'running' AND current_step = 'waiting-for-flink' AND started_at > now() - interval '1 day'
     GROUP BY pipeline, run_date`,
  );
  return rows.map((r) => ({ pipeline: r.pipeline, runDate: r.run_date, since: r.started_at }));
}

/** How long a marker may wait for its day's rows before the gate opens regardless. */
export const MARKER_GRACE_SECONDS = 120;

/**
 * The date's marker: missing; present but the day still has fewer rows than it counts, within
 * the grace period after it was written (rows in flight); or ready.
 */
export async function flinkMarkerState(pool: pg.Pool, runDate: string): Promise<'missing' | 'rows-in-flight' | 'ready'> {
  const { rows } = await pool.query<{ ready: boolean }>(
    // The rows counted when the marker was written settle it without counting again (CASE keeps
    // the count from running); only a marker that overtook its rows makes the day be counted.
    `SELECT CASE WHEN b.events_in_table >= b.row_count OR b.completed_at < now() - make_interval(secs => $2) THEN true
                 ELSE b.row_count <= (SELECT count(*) FROM realtime.ad_events
                                      WHERE event_time >= $1::date AT TIME ZONE 'UTC' AND event_time < ($1::date + 1) AT TIME ZONE 'UTC')
            END AS ready
     FROM realtime.flink_batches b WHERE b.run_date = $1::date`,
    [runDate, MARKER_GRACE_SECONDS],
  );
  if (!rows.length) return 'missing';
  return rows[0]!.ready ? 'ready' : 'rows-in-flight';
}
