// Data volume per day: de-duplicated events, repeated deliveries and late events from the
// published staging models, beside Flink's own count; late rows not yet restated and restatements.
import type pg from 'pg';
import { addDays } from '../../core/dates';
import type { Gathering, VolumeDay } from '../types';
import type { Tables } from './tables';
import type { RunsData } from './runs';

export async function queryVolume(c: pg.PoolClient, win: { start: string; end: string }, tables: Tables) {
  const volume = tables.by_campaign
    ? (
        await c.query<{ day: string; delivered: string; events: string }>(
          `SELECT event_date::text AS day, sum(deliveries)::bigint AS delivered, sum(events)::bigint AS events
           FROM analytics.stg_ad_events_by_campaign WHERE event_date BETWEEN $1::date AND $2::date GROUP BY event_date LIMIT 200`,
          [win.start, win.end],
        )
      ).rows
    : [];
  const late = tables.row_checks
    ? (
        await c.query<{ day: string; late: string }>(
          `SELECT event_date::text AS day, count(*) FILTER (WHERE late_arrival) AS late
           FROM analytics.stg_ad_events_row_checks WHERE event_date BETWEEN $1::date AND $2::date GROUP BY event_date LIMIT 200`,
          [win.start, win.end],
        )
      ).rows
    : [];
  // Late rows not yet restated: a count per day, so only the window's last 8 days (the night's look-back and yesterday).
  const waiting = (
    await c.query<{ day: string; late_rows: string }>(
      'SELECT run_date::text AS day, late_rows FROM realtime_cut.late_rows(greatest($1::date, $2::date - 7), $2::date)',
      [win.start, win.end],
    )
  ).rows;
  const restated = (
    await c.query<{ day: string; n: string }>(
      'SELECT run_date::text AS day, count(*) AS n FROM orchestrator.restatements WHERE campaign_id IS NULL AND run_date BETWEEN $1::date AND $2::date GROUP BY run_date LIMIT 200',
      [win.start, win.end],
    )
  ).rows;
  return { volume, late, waiting, restated };
}

export function buildVolume(g: Gathering, db: Awaited<ReturnType<typeof queryVolume>>, markers: Map<string, RunsData['markers'][number]>): VolumeDay[] {
  const { dates } = g;
  const vol = new Map(db.volume.map((v) => [v.day, v]));
  const lateByDay = new Map(db.late.map((v) => [v.day, Number(v.late)]));
  const waitingByDay = new Map(db.waiting.map((v) => [v.day, Number(v.late_rows)]));
  const restatedByDay = new Map(db.restated.map((v) => [v.day, Number(v.n)]));
  const lookBackFrom = addDays(g.win.end, -7);
  return dates.map((date) => {
    const v = vol.get(date);
    const m = markers.get(date);
    return {
      date,
      markerCount: m ? Number(m.row_count) : null,
      delivered: v ? Number(v.delivered) : null,
      events: v ? Number(v.events) : null,
      late: v ? (lateByDay.get(date) ?? 0) : null,
      lateWaiting: date >= lookBackFrom ? (waitingByDay.get(date) ?? 0) : null,
      restated: restatedByDay.get(date) ?? 0,
    };
  });
}
