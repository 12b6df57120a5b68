// The alerts: the latest ones whatever their date, and the count of the window's by kind and delivery.
import type pg from 'pg';
import type { AlertRow, Dashboard, Gathering } from '../types';
import { scrub } from '../util';
import type { RunsData } from './runs';

export async function queryAlerts(c: pg.PoolClient) {
  const recentAlerts = await c.query<{ id: string; created_at: Date; run_date: string; pipeline: string; kind: string; text: string; delivered: boolean; delivery_error: string | null }>(
    `SELECT id, created_at, run_date::text AS run_date, pipeline, kind, left(text, 4000) AS text, delivered, left(delivery_error, 500) AS delivery_error
     FROM orchestrator.alerts ORDER BY id DESC LIMIT 50`,
  );
  return recentAlerts.rows;
}

export function buildAlerts(g: Gathering, recentRows: Awaited<ReturnType<typeof queryAlerts>>, windowAlerts: RunsData['windowAlerts']): Dashboard['alerts'] {
  const { src, clean } = g;
  const db = { recentAlerts: recentRows, windowAlerts };
  const recent: AlertRow[] = db.recentAlerts.map((a) => {
    const text = scrub(a.text, src.secrets);
    return {
      id: Number(a.id),
      createdAt: a.created_at.toISOString(),
      runDate: a.run_date,
      pipeline: a.pipeline,
      kind: a.kind,
      title: (text.split('\n')[0] ?? '').replace(/^\*(.*)\*$/, '$1'),
      text,
      delivered: a.delivered,
      deliveryError: clean(a.delivery_error),
    };
  });
  const byKind: Record<string, number> = {};
  for (const a of db.windowAlerts) byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
  const delivered = db.windowAlerts.filter((a) => a.delivered).length;

  return { recent, inWindow: { total: db.windowAlerts.length, delivered, notDelivered: db.windowAlerts.length - delivered, byKind } };
}
