// Late data: the cut of a day's events each dbt run reads, the published days that received rows
// after their cut, and what their restatements changed. Every number here is read from the
// database (realtime_cut.cuts, realtime_cut.late_rows(), orchestrator.restatements, the latter
// computed by dbt); nothing is derived in TypeScript but the comparison with a threshold.
import { Context } from '@temporalio/activity';
import type pg from 'pg';
import { addDays } from '../src/core/dates';
import { DEFAULT_LATE_DATA, type LateDataSettings } from '../src/core/settings';
import type { EventCut, LateDay } from '../src/core/types';

export interface LateDataDeps {
  pool: pg.Pool;
  /** The worker's rules for restating published days (ROAS_RESTATE_*). */
  lateData?: LateDataSettings;
}

export interface LateDaysQuery {
  /** The nightly look-back: the look-back's days ending on this date. */
  through?: string;
  /** A range a person asked for (roas restate); every day with late rows in it, whatever the threshold. */
  from?: string;
  to?: string;
}

export interface LateDaysAnswer {
  /** Days worth a restatement, in date order. */
  due: LateDay[];
  /** Days with late rows below the threshold: left as published, listed by status. */
  below: LateDay[];
  from: string;
  to: string;
}

export interface RestatementTotal {
  runDate: string;
  rowsBefore: number | null;
  rowsAfter: number | null;
  roasBefore: string | null;
  roasAfter: string | null;
  revenueBefore: string | null;
  revenueAfter: string | null;
  largestChange: string | null;
}

/** The late rows of published days from `from` to `to` (realtime_cut.late_rows). */
export async function lateDays(pool: pg.Pool, from: string, to: string): Promise<LateDay[]> {
  const { rows } = await pool.query<{ run_date: string; cut_rows: string; rows_now: string; late_rows: string; published_at: Date }>(
    `SELECT run_date::text, cut_rows, rows_now, late_rows, published_at FROM realtime_cut.late_rows($1::date, $2::date)`,
    [from, to],
  );
  return rows.map((r) => ({
    runDate: r.run_date,
    cutRows: Number(r.cut_rows),
    rowsNow: Number(r.rows_now),
    lateRows: Number(r.late_rows),
    publishedAt: r.published_at.toISOString(),
  }));
}

/** Is a day's late data worth rebuilding it? At least minRows late rows, and at least minShare of its cut. */
export function worthRestating(day: LateDay, s: LateDataSettings): boolean {
  const late = Math.abs(day.lateRows);
  return late >= Math.max(1, s.minLateRows) && late >= s.minLateShare * day.cutRows;
}

export function createLateDataActivities(deps: LateDataDeps) {
  const settings = deps.lateData ?? DEFAULT_LATE_DATA;
  return {
    /**
     * Freezes the run date's events for this run, in one REPEATABLE READ transaction
     * (realtime_cut.take): every model and test of the run reads that copy. A retry of the same
     * run gets the same cut back.
     */
    async takeEventCut(input: { runDate: string; trigger: string; /** Outside a run (roas test-step): a fresh cut under this ID. */ runId?: string }): Promise<EventCut> {
      return takeCut(deps.pool, input, Context.current().info.workflowExecution);
    },

    /** The published days whose late rows call for a restatement: the nightly look-back, or a range. */
    async lateDaysToRestate(q: LateDaysQuery): Promise<LateDaysAnswer> {
      const to = q.to ?? q.through!;
      const from = q.from ?? addDays(to, -(settings.lookbackDays - 1));
      if (settings.lookbackDays < 1 && !q.from) return { due: [], below: [], from, to };
      const days = await lateDays(deps.pool, from, to);
      const asked = q.from !== undefined;
      return {
        due: days.filter((d) => (asked ? d.lateRows !== 0 : worthRestating(d, settings))),
        below: days.filter((d) => !(asked ? d.lateRows !== 0 : worthRestating(d, settings))),
        from,
        to,
      };
    },

    /**
     * The totals of the restatements recorded since `since` for these dates (the latest per date),
     * and which moved by more than the worker's alert share.
     */
    async restatementTotals(input: { dates: string[]; since: string }): Promise<{ totals: RestatementTotal[]; moved: string[]; alertShare: number }> {
      const { rows } = await deps.pool.query<{
        run_date: string;
        rows_before: string | null;
        rows_after: string | null;
        roas_before: string | null;
        roas_after: string | null;
        revenue_before: string | null;
        revenue_after: string | null;
        largest_change: string | null;
        moved: boolean;
      }>(
        `SELECT DISTINCT ON (run_date) run_date::text, rows_before, rows_after, roas_before::text, roas_after::text,
                revenue_before::text, revenue_after::text, largest_change::text, coalesce(largest_change > $3, false) AS moved
         FROM orchestrator.restatements
         WHERE run_date = ANY($1::date[]) AND restated_at >= $2 AND campaign_id IS NULL
         ORDER BY run_date, restated_at DESC, id DESC`,
        [input.dates, input.since, settings.alertShare],
      );
      const totals = rows.map((r) => ({
        runDate: r.run_date,
        rowsBefore: r.rows_before === null ? null : Number(r.rows_before),
        rowsAfter: r.rows_after === null ? null : Number(r.rows_after),
        roasBefore: r.roas_before,
        roasAfter: r.roas_after,
        revenueBefore: r.revenue_before,
        revenueAfter: r.revenue_after,
        largestChange: r.largest_change,
      }));
      return { totals, moved: rows.filter((r) => r.moved).map((r) => r.run_date), alertShare: settings.alertShare };
    },
  };
}

/** realtime_cut.take in one REPEATABLE READ transaction (see takeEventCut). */
async function takeCut(pool: pg.Pool, input: { runDate: string; trigger: string; runId?: string }, execution: { workflowId: string; runId: string } | undefined): Promise<EventCut> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const { rows } = await client.query<{ cut_id: string; rows: string; max_ingested_at: Date | null; snapshot: string; seconds: string }>(
      'SELECT cut_id, rows, max_ingested_at, snapshot, seconds FROM realtime_cut.take($1::date, $2, $3, $4)',
      [input.runDate, execution?.workflowId ?? 'standalone', input.runId ?? execution?.runId ?? `standalone-${Date.now()}`, input.trigger],
    );
    await client.query('COMMIT');
    const c = rows[0]!;
    return {
      cutId: String(c.cut_id),
      runDate: input.runDate,
      rows: Number(c.rows),
      maxIngestedAt: c.max_ingested_at?.toISOString() ?? null,
      snapshot: c.snapshot,
      seconds: Number(c.seconds),
    };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
