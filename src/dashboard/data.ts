// Everything the dashboard shows, gathered for a window of run dates: the run ledger, alerts,
// Flink's markers and the published analytics models from PostgreSQL, in one READ ONLY
// transaction with a statement timeout, every query parameterised and bounded (a date window, a
// LIMIT); open runs and their live progress from Temporal (visibility list, describe, the
// progress query); per-node timings and test outcomes from the artifacts dbt left on this
// worker's disk. Nothing here writes anywhere.
// Each section reads what it shows beside its query (src/dashboard/sections/); this file
// gathers them for one window.
import { addDays, daysBetween } from '../core/dates';
import { UsageError } from '../core/errors';
import { clip, LIMITS, parseBoundedDate } from '../core/limits';
import { assessHealth } from './health';
import { buildAlerts, queryAlerts } from './sections/alerts';
import { buildBusiness, queryBusiness } from './sections/business';
import { loadLive } from './sections/live';
import { loadNodeResults } from './sections/nodes';
import { buildCalendar, buildDurations, queryRuns } from './sections/runs';
import { queryTables } from './sections/tables';
import { buildVolume, queryVolume } from './sections/volume';
import type { Dashboard, DashboardSources, Gathering, WindowOptions } from './types';
import { readOnly, scrub } from './util';
import { describeDbtWarm, readDbtWarm } from '../platform/dbt-warm';

export * from './types';
export { assessHealth } from './health';
export { scrub } from './util';

export const DEFAULT_DAYS = 30;
export const MAX_DAYS = LIMITS.maxDashboardDays;

/**
 * The window of run dates: `days` days ending on `end`. The server checks both where they enter
 * (parseWindowQuery); here they are held to the same bounds again, so no caller can ask for a
 * window that never ends.
 */
export function dashboardWindow(opts: WindowOptions, now: Date): { start: string; end: string; days: number } {
  const today = now.toISOString().slice(0, 10);
  const yesterday = addDays(today, -1);
  let end = yesterday;
  if (opts.end) {
    try {
      end = parseBoundedDate(opts.end, 'end', today);
    } catch {
      end = yesterday;
    }
  }
  const days = Math.min(MAX_DAYS, Math.max(1, Math.floor(Number.isFinite(opts.days) ? opts.days! : DEFAULT_DAYS)));
  return { start: addDays(end, -(days - 1)), end, days };
}

/** The window a request's query string asks for, or a UsageError whose message is the 400's sentence. */
export function parseWindowQuery(params: URLSearchParams, now: Date = new Date()): WindowOptions {
  const today = now.toISOString().slice(0, 10);
  const endText = params.get('end');
  const daysText = params.get('days');
  const end = endText === null || endText === '' ? undefined : parseBoundedDate(endText, 'end', today);
  let days: number | undefined;
  if (daysText !== null && daysText !== '') {
    if (!/^\d{1,3}$/.test(daysText) || Number(daysText) < 1 || Number(daysText) > MAX_DAYS) {
      throw new UsageError(`days "${clip(daysText)}" is not a number of days from 1 to ${MAX_DAYS}`);
    }
    days = Number(daysText);
  }
  return { end, days };
}

export async function loadDashboard(src: DashboardSources, opts: WindowOptions = {}): Promise<Dashboard> {
  const t0 = Date.now();
  const now = src.now?.() ?? new Date();
  const win = dashboardWindow(opts, now);
  const g: Gathering = { src, win, dates: daysBetween(win.start, win.end), now, nowMs: now.getTime(), clean: (s) => (s === null ? null : scrub(s, src.secrets)), timings: {} };
  // PostgreSQL, in one READ ONLY transaction with a statement timeout.
  const db = await readOnly(src.pool, async (c) => {
    const tables = await queryTables(c);
    return { tables, runs: await queryRuns(c, win), alerts: await queryAlerts(c), business: await queryBusiness(c, win, tables), volume: await queryVolume(c, win, tables) };
  });
  g.timings.postgresMs = Date.now() - t0;
  const { temporal, live, closedInTemporal } = await loadLive(g, db.runs);
  const t2 = Date.now();
  const cal = await buildCalendar(g, db.runs, live, closedInTemporal);
  const dashboard: Dashboard = {
    generatedAt: now.toISOString(),
    window: { ...win, dates: g.dates },
    temporal,
    health: { level: 'ok', headline: '', reasons: [] },
    calendar: cal.calendar,
    live,
    ...buildDurations(g, cal),
    ...(await loadNodeResults(g, cal.effectiveRuns)),
    volume: buildVolume(g, db.volume, cal.markers),
    business: buildBusiness(g, db.business, db.tables.fct),
    alerts: buildAlerts(g, db.alerts, db.runs.windowAlerts),
    timings: g.timings,
    ...dbtLine(src.artifactsDir),
  };
  g.timings.assembleMs = Date.now() - t2;
  dashboard.health = assessHealth(dashboard, g.nowMs);
  g.timings.totalMs = Date.now() - t0;
  return dashboard;
}

/** The worker's dbt as it last started: warm or plain, its versions, why anything fell back. */
function dbtLine(artifactsDir: string): { dbt?: string } {
  const info = readDbtWarm(artifactsDir);
  return info ? { dbt: describeDbtWarm(info) } : {};
}
