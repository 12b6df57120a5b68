// Everything the dashboard shows, gathered for a window of run dates: the run ledger, alerts,
// Flink's markers and the published analytics models from PostgreSQL, in one READ ONLY
// transaction with a statement timeout, every query parameterised and bounded (a date window, a
// LIMIT); open runs and their live progress from Temporal (visibility list, describe, the
// progress query); per-node timings and test outcomes from the artifacts dbt left on this
// worker's disk. Nothing here writes anywhere.
import path from 'node:path';
import { attemptDirs } from '../../activities/dbt/artifacts';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type pg from 'pg';
import { liveProgress } from '../client/live-progress';
import { addDays, daysBetween } from '../core/dates';
import { describeProgress } from '../core/describe';
import { DEFAULT_SLA_MS } from '../core/settings';
import type { DbtDailyRunProgress } from '../core/types';
import { hasReport, stepNodes, validationOfDay, warnSeverityTests, type Pipeline } from './files';
import { PIPELINE_NAMES, PIPELINES, pipelineOfWorkflow } from '../core/pipelines';

export interface DashboardSources {
  pool: pg.Pool;
  /** Temporal, for open runs and live progress; the dashboard still renders without it. */
  temporal?: Client;
  /** The worker's task queue: the runs listed as open are this deployment's. */
  taskQueue: string;
  namespace: string;
  /** The Temporal Web UI, for links to each run. */
  uiUrl: string;
  artifactsDir: string;
  reportsDir: string;
  dbtProjectDir: string;
  projectRoot: string;
  /** Values never to show (the database password, tokens): replaced wherever text is shown. */
  secrets?: string[];
  now?: () => Date;
}

export interface WindowOptions {
  /** The last run date shown (default: yesterday, UTC). */
  end?: string;
  /** How many run dates, ending on `end` (1–90, default 30). */
  days?: number;
}

export const DEFAULT_DAYS = 30;
export const MAX_DAYS = 90;
/** When each pipeline is due for a date: the schedules fire at 00:00 and 06:00 UTC the next day. */
const DUE_AFTER_MS: Record<Pipeline, number> = { dbt_daily_run: 24 * 3_600_000, daily_etl: 30 * 3_600_000 };
const KNOWN_CHECKS = ['row_count', 'duplicate_event_ids', 'invalid_fields', 'late_events', 'flink_marker', 'unknown_campaigns', 'unknown_currencies'];
const MAX_OPEN_RUNS = 20;
const TEMPORAL_TIMEOUT_MS = 3_000;

export type CellState = 'succeeded' | 'failed' | 'running' | 'waiting' | 'skipped' | 'missing' | 'cancelled' | 'not-due';

export interface RunRef {
  workflowId: string;
  runId: string;
  status: string;
  trigger: string;
  step: string | null;
  attempts: number;
  scheduledAt: string | null;
  startedAt: string;
  finishedAt: string | null;
  /** Start to finish (or to now while running). */
  durationMs: number;
  /** Scheduled time to finish (or now): what the dbt run's SLA measures. */
  sinceScheduledMs: number;
  slaMet: boolean | null;
  errorType: string | null;
  error: string | null;
  uiLink: string;
}

export interface Cell {
  state: CellState;
  /** A few words for the cell's tooltip and the day's detail. */
  label: string;
  detail: string[];
  slaMissed: boolean;
  /** Attempts of the day's run beyond the first (retries), and runs beyond the first (re-runs). */
  retries: number;
  reruns: number;
  warn: boolean;
  run?: RunRef;
  runs: RunRef[];
}

export interface FlinkCell {
  state: CellState;
  label: string;
  detail: string[];
  warn: boolean;
  rowCount: number | null;
  completedAt: string | null;
}

export interface DayRow {
  date: string;
  flink: FlinkCell;
  dbt: Cell;
  etl: Cell;
  links: { logsDbt: string; logsEtl: string; logsCommand: string; report?: string };
  alerts: { kind: string; pipeline: string; delivered: boolean }[];
}

export interface LiveRun {
  pipeline: Pipeline;
  runDate: string;
  workflowId: string;
  runId: string;
  step: string;
  text: string;
  nodesDone: number;
  nodesTotal: number;
  attempt: number;
  failures: string[];
  startedAt: string;
  slaDeadline: string | null;
  /** Negative once the SLA has passed; null for the daily ETL (no SLA). */
  msToSla: number | null;
  slaMissed: boolean;
  uiLink: string;
  /** Where the ledger stands, when the live view could not be read. */
  error?: string;
}

export interface NodeTiming {
  name: string;
  type: string;
  pipeline: Pipeline;
  /** Seconds per day of the window, null where the day has no result for it. */
  seconds: (number | null)[];
  latest: number | null;
  median: number;
  max: number;
}

export type QualityStatus = 'pass' | 'warn' | 'fail' | null;

export interface QualityRow {
  name: string;
  kind: 'check' | 'warn test' | 'failed test';
  statuses: QualityStatus[];
  /** Per day: the check's detail or the test's message, when known. */
  details: (string | null)[];
  warned: number;
  failed: number;
}

export interface VolumeDay {
  date: string;
  /** Flink's own count in its marker. */
  markerCount: number | null;
  /** Rows in realtime.ad_events counted by staging (deliveries, duplicates included). */
  delivered: number | null;
  /** De-duplicated events (one per event_id). */
  events: number | null;
  /** Events ingested after Flink reported the day complete, as the day's dbt run saw them. */
  late: number | null;
}

export interface Money {
  spend: string;
  revenue: string;
  roas: number | null;
}

export interface BusinessDay extends Money {
  date: string;
  campaigns: number;
  conversions: number;
  /** The 7-day ROAS of the daily report (rpt_daily_totals), where the report ran. */
  roas7d: number | null;
  channels: Record<string, Money>;
}

export interface AlertRow {
  id: number;
  createdAt: string;
  runDate: string;
  pipeline: string;
  kind: string;
  title: string;
  text: string;
  delivered: boolean;
  deliveryError: string | null;
}

export interface Health {
  level: 'ok' | 'warn' | 'bad';
  headline: string;
  reasons: string[];
}

export interface Dashboard {
  generatedAt: string;
  window: { start: string; end: string; days: number; dates: string[] };
  temporal: { reachable: boolean; error?: string; uiUrl: string; namespace: string };
  health: Health;
  calendar: DayRow[];
  live: LiveRun[];
  slaMs: number;
  durations: { date: string; dbtMinutes: number | null; dbtRunMinutes: number | null; etlMinutes: number | null; slaMissed: boolean; running: boolean }[];
  attempts: { date: string; dbtAttempts: number; dbtRuns: number; etlAttempts: number; etlRuns: number }[];
  slowest: { models: NodeTiming[]; tests: NodeTiming[]; daysWithResults: number };
  quality: QualityRow[];
  volume: VolumeDay[];
  business: {
    published: boolean;
    days: BusinessDay[];
    channels: { channel: string; total: Money }[];
    total: Money;
    latest?: BusinessDay;
  };
  alerts: { recent: AlertRow[]; inWindow: { total: number; delivered: number; notDelivered: number; byKind: Record<string, number> } };
  timings: Record<string, number>;
}

interface LedgerRow {
  workflow_id: string;
  run_id: string;
  pipeline: Pipeline;
  run_date: string;
  status: string;
  trigger: string;
  scheduled_at: Date | null;
  started_at: Date;
  finished_at: Date | null;
  current_step: string | null;
  attempts: number;
  sla_met: boolean | null;
  error_type: string | null;
  error: string | null;
  summary: Record<string, unknown>;
}

interface StepSummary {
  attempt?: number;
  dbtSeconds?: number;
  warnings?: string[];
  targetPath?: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The window of run dates: `days` days ending on `end`, both checked. */
export function dashboardWindow(opts: WindowOptions, now: Date): { start: string; end: string; days: number } {
  const yesterday = addDays(now.toISOString().slice(0, 10), -1);
  const end = opts.end && DATE.test(opts.end) && !Number.isNaN(Date.parse(`${opts.end}T00:00:00Z`)) ? opts.end : yesterday;
  const days = Math.min(MAX_DAYS, Math.max(1, Math.floor(Number.isFinite(opts.days) ? opts.days! : DEFAULT_DAYS)));
  return { start: addDays(end, -(days - 1)), end, days };
}

/** Removes what must never be shown: passwords in URLs, Slack and bearer tokens, and the given secrets. */
export function scrub(text: string, secrets: string[] = []): string {
  let out = text
    .replace(/(postgres(?:ql)?:\/\/[^:/@\s]*):[^@\s]*@/gi, '$1:***@')
    .replace(/xox[a-z]-[A-Za-z0-9-]+/g, 'xox?-***')
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1***');
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}

function runLink(uiUrl: string, namespace: string, workflowId: string, runId: string): string {
  return `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

const stepOf = (p: Pipeline, summary: Record<string, unknown>): [string, StepSummary][] =>
  (['build', 'run', 'test'] as const).flatMap((s) => {
    const v = summary[s];
    return v && typeof v === 'object' ? [[s, v] as [string, StepSummary]] : [];
  });

const median = (xs: number[]) => {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Runs `work` in one READ ONLY transaction, with a statement timeout; always rolled back. */
async function readOnly<T>(pool: pg.Pool, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN TRANSACTION READ ONLY');
    await client.query("SET LOCAL statement_timeout = '5s'");
    await client.query("SET LOCAL idle_in_transaction_session_timeout = '10s'");
    return await work(client);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms / 1000} s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export async function loadDashboard(src: DashboardSources, opts: WindowOptions = {}): Promise<Dashboard> {
  const t0 = Date.now();
  const now = src.now?.() ?? new Date();
  const nowMs = now.getTime();
  const win = dashboardWindow(opts, now);
  const dates = daysBetween(win.start, win.end);
  const clean = (s: string | null) => (s === null ? null : scrub(s, src.secrets));
  const timings: Record<string, number> = {};

  // ---- PostgreSQL, read only ------------------------------------------------------------
  const db = await readOnly(src.pool, async (c) => {
    const ledger = await c.query<LedgerRow>(
      `SELECT workflow_id, run_id, pipeline, run_date::text AS run_date, status, trigger, scheduled_at, started_at, finished_at,
              current_step, attempts, sla_met, error_type, left(error, 2000) AS error, summary
       FROM orchestrator.pipeline_runs
       WHERE pipeline = ANY($3::text[]) AND run_date BETWEEN $1::date AND $2::date
       ORDER BY run_date, started_at
       LIMIT 3000`,
      [win.start, win.end, PIPELINE_NAMES],
    );
    // Runs going now, whatever their date (a backfill may be far back).
    const running = await c.query<LedgerRow>(
      `SELECT workflow_id, run_id, pipeline, run_date::text AS run_date, status, trigger, scheduled_at, started_at, finished_at,
              current_step, attempts, sla_met, error_type, left(error, 2000) AS error, '{}'::jsonb AS summary
       FROM orchestrator.pipeline_runs
       WHERE status = 'running' AND started_at > now() - interval '7 days'
       ORDER BY started_at DESC LIMIT $1`,
      [MAX_OPEN_RUNS],
    );
    const markers = await c.query<{ run_date: string; completed_at: Date; row_count: string; events_in_table: string | null; flag: string | null; note: string | null }>(
      `SELECT run_date::text AS run_date, completed_at, row_count, events_in_table, flag, left(note, 500) AS note
       FROM realtime.flink_batches WHERE run_date BETWEEN $1::date AND $2::date ORDER BY run_date LIMIT 200`,
      [win.start, win.end],
    );
    const refused = await c.query<{ run_date: string; n: string; reason: string | null }>(
      `SELECT DISTINCT ON (run_date) run_date::text AS run_date, count(*) OVER (PARTITION BY run_date) AS n, left(reason, 500) AS reason
       FROM realtime.flink_batch_history
       WHERE run_date BETWEEN $1::date AND $2::date AND action IN ('refused', 'conflicting')
       ORDER BY run_date, id DESC LIMIT 200`,
      [win.start, win.end],
    );
    const recentAlerts = await c.query<{ id: string; created_at: Date; run_date: string; pipeline: string; kind: string; text: string; delivered: boolean; delivery_error: string | null }>(
      `SELECT id, created_at, run_date::text AS run_date, pipeline, kind, left(text, 4000) AS text, delivered, left(delivery_error, 500) AS delivery_error
       FROM orchestrator.alerts ORDER BY id DESC LIMIT 50`,
    );
    const windowAlerts = await c.query<{ run_date: string; pipeline: string; kind: string; delivered: boolean }>(
      `SELECT run_date::text AS run_date, pipeline, kind, delivered FROM orchestrator.alerts
       WHERE run_date BETWEEN $1::date AND $2::date ORDER BY id LIMIT 2000`,
      [win.start, win.end],
    );
    const tables = (
      await c.query<{ fct: boolean; by_campaign: boolean; row_checks: boolean; totals: boolean }>(
        `SELECT to_regclass('analytics.fct_daily_metrics') IS NOT NULL AS fct,
                to_regclass('analytics.stg_ad_events_by_campaign') IS NOT NULL AS by_campaign,
                to_regclass('analytics.stg_ad_events_row_checks') IS NOT NULL AS row_checks,
                to_regclass('analytics.rpt_daily_totals') IS NOT NULL AS totals`,
      )
    ).rows[0]!;
    const money = tables.fct
      ? (
          await c.query<{ day: string | null; channel: string | null; spend: string; revenue: string; roas: string | null; campaigns: string; conversions: string }>(
            // ROAS as the models compute it (revenue / spend to 6 decimals), over the sums.
            `SELECT metric_date::text AS day, channel, sum(spend_krw)::text AS spend, sum(revenue_krw)::text AS revenue,
                    round(sum(revenue_krw)::numeric(1000, 20) / nullif(sum(spend_krw), 0), 6)::text AS roas,
                    count(*) AS campaigns, coalesce(sum(conversions), 0) AS conversions
             FROM analytics.fct_daily_metrics
             WHERE metric_date BETWEEN $1::date AND $2::date
             GROUP BY GROUPING SETS ((metric_date, channel), (metric_date), (channel), ())
             LIMIT 2000`,
            [win.start, win.end],
          )
        ).rows
      : [];
    const totals7d = tables.totals
      ? (
          await c.query<{ day: string; roas_7d: string | null }>(
            `SELECT report_date::text AS day, roas_7d::text AS roas_7d FROM analytics.rpt_daily_totals
             WHERE report_date BETWEEN $1::date AND $2::date LIMIT 200`,
            [win.start, win.end],
          )
        ).rows
      : [];
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
    return { ledger: ledger.rows, running: running.rows, markers: markers.rows, refused: refused.rows, recentAlerts: recentAlerts.rows, windowAlerts: windowAlerts.rows, tables, money, totals7d, volume, late };
  });
  timings.postgresMs = Date.now() - t0;

  const toRef = (r: LedgerRow): RunRef => {
    const end = r.finished_at?.getTime() ?? nowMs;
    return {
      workflowId: r.workflow_id,
      runId: r.run_id,
      status: r.status,
      trigger: r.trigger,
      step: r.current_step,
      attempts: r.attempts,
      scheduledAt: r.scheduled_at?.toISOString() ?? null,
      startedAt: r.started_at.toISOString(),
      finishedAt: r.finished_at?.toISOString() ?? null,
      durationMs: end - r.started_at.getTime(),
      sinceScheduledMs: end - (r.scheduled_at ?? r.started_at).getTime(),
      slaMet: r.sla_met,
      errorType: r.error_type,
      error: clean(r.error),
      uiLink: runLink(src.uiUrl, src.namespace, r.workflow_id, r.run_id),
    };
  };

  // ---- Temporal: open runs, live progress, and ledger rows Temporal no longer runs ---------
  const t1 = Date.now();
  const temporal: Dashboard['temporal'] = { reachable: false, uiUrl: src.uiUrl, namespace: src.namespace };
  const live: LiveRun[] = [];
  const closedInTemporal = new Map<string, string>();
  if (src.temporal) {
    const client = src.temporal;
    try {
      const tq = src.taskQueue.replace(/['"\\]/g, '');
      const query = `TaskQueue = '${tq}' AND ExecutionStatus = 'Running' AND (WorkflowType = '${PIPELINES.dbt.workflowType}' OR WorkflowType = '${PIPELINES.etl.workflowType}')`;
      const open = await withTimeout(
        (async () => {
          const out: { workflowId: string; runId: string; type: string; startTime: Date }[] = [];
          for await (const wf of client.workflow.list({ query, pageSize: MAX_OPEN_RUNS })) {
            out.push({ workflowId: wf.workflowId, runId: wf.runId, type: wf.type, startTime: wf.startTime });
            if (out.length >= MAX_OPEN_RUNS) break;
          }
          return out;
        })(),
        TEMPORAL_TIMEOUT_MS,
        'Temporal visibility',
      );
      temporal.reachable = true;
      const ledgerByRun = new Map([...db.running, ...db.ledger].map((r) => [`${r.workflow_id}/${r.run_id}`, r]));
      const openKeys = new Set(open.map((o) => `${o.workflowId}/${o.runId}`));
      // The ledger's running rows that the list did not return: open a moment ago (visibility
      // lags), or gone (terminated, timed out) without the ledger hearing of it.
      const unlisted = [...new Map([...db.running, ...db.ledger.filter((r) => r.status === 'running')].map((r) => [`${r.workflow_id}/${r.run_id}`, r])).values()]
        .filter((r) => !openKeys.has(`${r.workflow_id}/${r.run_id}`))
        .slice(0, MAX_OPEN_RUNS);
      await Promise.all(
        unlisted.map(async (r) => {
          try {
            const d = await withTimeout(client.workflow.getHandle(r.workflow_id, r.run_id).describe(), TEMPORAL_TIMEOUT_MS, 'describe');
            if (d.status.name === 'RUNNING') open.push({ workflowId: r.workflow_id, runId: r.run_id, type: d.type, startTime: d.startTime });
            else closedInTemporal.set(`${r.workflow_id}/${r.run_id}`, d.status.name);
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) closedInTemporal.set(`${r.workflow_id}/${r.run_id}`, 'NOT FOUND');
          }
        }),
      );
      const lives = await Promise.all(
        open.map(async (o): Promise<LiveRun> => {
          const pipeline: Pipeline = pipelineOfWorkflow(o.type)?.name ?? PIPELINES.dbt.name;
          const row = ledgerByRun.get(`${o.workflowId}/${o.runId}`);
          const base = {
            pipeline,
            workflowId: o.workflowId,
            runId: o.runId,
            uiLink: runLink(src.uiUrl, src.namespace, o.workflowId, o.runId),
          };
          try {
            const p: DbtDailyRunProgress = await withTimeout(liveProgress(client.workflow.getHandle(o.workflowId, o.runId)), TEMPORAL_TIMEOUT_MS, 'progress query');
            const deadline = pipeline === 'dbt_daily_run' && p.slaDeadline ? p.slaDeadline : null;
            return {
              ...base,
              runDate: p.runDate,
              step: p.step,
              text: scrub(describeProgress(p, nowMs), src.secrets),
              nodesDone: p.nodesDone,
              nodesTotal: p.nodesTotal,
              attempt: p.attempt,
              failures: p.failures,
              startedAt: p.startedAt,
              slaDeadline: deadline,
              msToSla: deadline ? Date.parse(deadline) - nowMs : null,
              slaMissed: p.slaMissed,
            };
          } catch (err) {
            return {
              ...base,
              runDate: row?.run_date ?? o.workflowId.slice(-10),
              step: row?.current_step ?? 'starting',
              text: row?.current_step ?? 'starting',
              nodesDone: 0,
              nodesTotal: 0,
              attempt: row?.attempts ?? 0,
              failures: [],
              startedAt: o.startTime.toISOString(),
              slaDeadline: null,
              msToSla: null,
              slaMissed: row?.sla_met === false,
              error: `live progress unavailable: ${scrub((err as Error).message, src.secrets)}`,
            };
          }
        }),
      );
      live.push(...lives.sort((a, b) => a.runDate.localeCompare(b.runDate) || a.pipeline.localeCompare(b.pipeline)));
    } catch (err) {
      temporal.error = scrub((err as Error).message, src.secrets);
    }
  } else {
    temporal.error = 'no Temporal connection';
  }
  timings.temporalMs = Date.now() - t1;

  // ---- the calendar ---------------------------------------------------------------------
  const t2 = Date.now();
  const byDay = new Map<string, { dbt_daily_run: LedgerRow[]; daily_etl: LedgerRow[] }>();
  for (const d of dates) byDay.set(d, { dbt_daily_run: [], daily_etl: [] });
  for (const r of db.ledger) byDay.get(r.run_date)?.[r.pipeline]?.push(r);
  const liveByRun = new Map(live.map((l) => [`${l.workflowId}/${l.runId}`, l]));
  const markers = new Map(db.markers.map((m) => [m.run_date, m]));
  const refused = new Map(db.refused.map((m) => [m.run_date, m]));
  const alertsByDay = new Map<string, DayRow['alerts']>();
  for (const a of db.windowAlerts) {
    const list = alertsByDay.get(a.run_date) ?? [];
    list.push({ kind: a.kind, pipeline: a.pipeline, delivered: a.delivered });
    alertsByDay.set(a.run_date, list);
  }
  const reports = await Promise.all(dates.map((d) => hasReport(src.reportsDir, d)));

  const pipelineCell = (pipeline: Pipeline, date: string, rows: LedgerRow[]): { cell: Cell; effective?: LedgerRow } => {
    const refs = rows.map(toRef);
    const nonSkipped = rows.filter((r) => r.status !== 'skipped');
    const effective = nonSkipped[nonSkipped.length - 1];
    const latest = rows[rows.length - 1];
    const alerts = alertsByDay.get(date) ?? [];
    const slaAlert = pipeline === 'dbt_daily_run' && alerts.some((a) => a.kind === 'sla_miss' && a.pipeline === pipeline);
    const liveRun = latest ? liveByRun.get(`${latest.workflow_id}/${latest.run_id}`) : undefined;
    const slaMissed = Boolean(effective && (effective.sla_met === false || (liveRun?.slaMissed ?? false))) || slaAlert;
    const retries = Math.max(0, (effective?.attempts ?? 0) - 1);
    const reruns = Math.max(0, nonSkipped.length - 1);
    const base = { slaMissed, retries, reruns, warn: false, runs: refs, run: latest ? toRef(latest) : undefined };
    if (!latest) {
      const due = Date.parse(`${date}T00:00:00Z`) + DUE_AFTER_MS[pipeline];
      if (nowMs < due) {
        return { cell: { ...base, state: 'not-due', label: `not due yet (starts ${new Date(due).toISOString().slice(0, 16).replace('T', ' ')} UTC)`, detail: [] } };
      }
      return {
        cell: {
          ...base,
          state: 'missing',
          label: 'no run',
          detail: [`No run of the ${pipeline === 'dbt_daily_run' ? 'dbt run' : 'daily ETL'} for ${date}: roas run ${pipeline === 'dbt_daily_run' ? 'dbt' : 'etl'} --date ${date}`],
        },
      };
    }
    const ref = toRef(latest);
    const detail: string[] = [];
    let state: CellState;
    let label: string;
    const gone = closedInTemporal.get(`${latest.workflow_id}/${latest.run_id}`);
    if (latest.status === 'running' && gone) {
      state = 'failed';
      label = `ended in Temporal (${gone.toLowerCase()}) without finishing its ledger row`;
      detail.push('The run was terminated, timed out or reset; start it again with --force.');
    } else if (latest.status === 'running') {
      const step = liveRun?.step ?? latest.current_step ?? 'starting';
      state = step === 'waiting-for-flink' || step === 'waiting-for-dbt-run' ? 'waiting' : 'running';
      label = liveRun ? liveRun.text : `${state} (${step})`;
    } else if (latest.status === 'skipped') {
      state = 'skipped';
      label = 'skipped: the date had already succeeded';
      const why = latest.summary?.skipped;
      if (typeof why === 'string') detail.push(scrub(why, src.secrets));
    } else if (latest.status === 'succeeded') {
      state = 'succeeded';
      label = 'succeeded';
    } else if (latest.status === 'cancelled') {
      state = 'cancelled';
      label = 'cancelled';
    } else {
      state = 'failed';
      label = `failed${latest.error_type ? `: ${latest.error_type}` : ''}`;
      if (ref.error) detail.push(ref.error);
    }
    if (effective && effective !== latest && latest.status === 'skipped') {
      detail.push(`The run that did it: ${effective.status}, ${effective.workflow_id} (${effective.run_id.slice(0, 8)}…).`);
    }
    if (retries) detail.push(`${retries} ${retries === 1 ? 'retry' : 'retries'} (${effective!.attempts} attempts).`);
    if (reruns) detail.push(`${reruns + 1} runs of this date.`);
    if (slaMissed) detail.push('SLA missed: not done 1 hour after its scheduled time.');
    let warn = false;
    if (pipeline === 'dbt_daily_run' && effective) {
      const warnings = stepOf(pipeline, effective.summary).flatMap(([, s]) => s.warnings ?? []);
      if (warnings.length) {
        warn = true;
        detail.push(`Warnings: ${warnings.join(', ')}.`);
      }
    }
    if (pipeline === 'daily_etl' && effective) {
      const checks = Array.isArray(effective.summary.checks) ? (effective.summary.checks as string[]) : [];
      const notPass = checks.filter((c) => !c.endsWith(':pass'));
      if (notPass.length) {
        warn = true;
        detail.push(`Checks: ${notPass.join(', ')}.`);
      }
    }
    return { cell: { ...base, state, label, detail, warn, run: ref }, effective };
  };

  const calendar: DayRow[] = [];
  const effectiveRuns: { dbt?: LedgerRow; etl?: LedgerRow }[] = [];
  for (const [i, date] of dates.entries()) {
    const day = byDay.get(date)!;
    const dbt = pipelineCell('dbt_daily_run', date, day.dbt_daily_run);
    const etl = pipelineCell('daily_etl', date, day.daily_etl);
    effectiveRuns.push({ dbt: dbt.effective, etl: etl.effective });
    const m = markers.get(date);
    const r = refused.get(date);
    let flink: FlinkCell;
    const gateFailed = day.dbt_daily_run.some((x) => x.error_type === 'FlinkGateDeadline');
    const flinkDetail: string[] = [];
    if (r) flinkDetail.push(`${r.n} marker(s) refused or conflicting; last: ${scrub(r.reason ?? '', src.secrets)}`);
    if (m) {
      const count = Number(m.row_count);
      if (m.note) flinkDetail.push(scrub(m.note, src.secrets));
      flink = {
        state: 'succeeded',
        label: `complete: ${count.toLocaleString('en-US')} events${m.flag ? ` (${m.flag.replace('_', ' ')})` : ''}`,
        detail: [`Reported complete at ${m.completed_at.toISOString().slice(0, 16).replace('T', ' ')} UTC.`, ...flinkDetail],
        warn: Boolean(m.flag),
        rowCount: count,
        completedAt: m.completed_at.toISOString(),
      };
    } else if (dbt.cell.state === 'waiting' && (dbt.cell.run?.step === 'waiting-for-flink' || live.some((l) => l.runDate === date && l.step === 'waiting-for-flink'))) {
      const since = dbt.cell.run?.startedAt;
      flink = {
        state: 'waiting',
        label: `a dbt run waits for it${since ? ` since ${since.slice(11, 16)} UTC` : ''}`,
        detail: [`If the day is complete: roas flink-complete --date ${date}`, ...flinkDetail],
        warn: false,
        rowCount: null,
        completedAt: null,
      };
    } else if (gateFailed) {
      flink = { state: 'failed', label: 'not reported before the gate deadline', detail: flinkDetail, warn: false, rowCount: null, completedAt: null };
    } else {
      const ended = nowMs >= Date.parse(`${date}T00:00:00Z`) + 24 * 3_600_000;
      flink = {
        state: ended ? 'missing' : 'not-due',
        label: ended ? 'not reported complete' : 'the day has not ended',
        detail: flinkDetail,
        warn: false,
        rowCount: null,
        completedAt: null,
      };
    }
    calendar.push({
      date,
      flink,
      dbt: dbt.cell,
      etl: etl.cell,
      links: {
        logsDbt: `logs/dbt_daily_run/${date}`,
        logsEtl: `logs/daily_etl/${date}`,
        logsCommand: `roas logs dbt --date ${date}`,
        ...(reports[i] ? { report: `reports/${date}/` } : {}),
      },
      alerts: alertsByDay.get(date) ?? [],
    });
  }

  // ---- durations, attempts ---------------------------------------------------------------
  const slaMs = DEFAULT_SLA_MS;
  const durations = calendar.map((d, i) => {
    const dbt = effectiveRuns[i]!.dbt;
    const etl = effectiveRuns[i]!.etl;
    const ref = dbt ? toRef(dbt) : undefined;
    return {
      date: d.date,
      dbtMinutes: ref ? ref.sinceScheduledMs / 60_000 : null,
      dbtRunMinutes: ref ? ref.durationMs / 60_000 : null,
      etlMinutes: etl ? toRef(etl).durationMs / 60_000 : null,
      slaMissed: d.dbt.slaMissed,
      running: dbt?.status === 'running',
    };
  });
  const attempts = calendar.map((d, i) => ({
    date: d.date,
    dbtAttempts: effectiveRuns[i]!.dbt?.attempts ?? 0,
    dbtRuns: byDay.get(d.date)!.dbt_daily_run.filter((r) => r.status !== 'skipped').length,
    etlAttempts: effectiveRuns[i]!.etl?.attempts ?? 0,
    etlRuns: byDay.get(d.date)!.daily_etl.filter((r) => r.status !== 'skipped').length,
  }));

  // ---- per-node results from the artifacts -----------------------------------------------
  const t3 = Date.now();
  const nodeDays = await Promise.all(
    dates.map(async (date, i) => {
      const out: { pipeline: Pipeline; nodes: Awaited<ReturnType<typeof stepNodes>> }[] = [];
      for (const [pipeline, run] of [
        ['dbt_daily_run', effectiveRuns[i]!.dbt],
        ['daily_etl', effectiveRuns[i]!.etl],
      ] as const) {
        if (!run) continue;
        for (const [, s] of stepOf(pipeline, run.summary)) {
          if (typeof s.targetPath !== 'string') continue;
          out.push({ pipeline, nodes: await stepNodes(src.artifactsDir, s.targetPath) });
        }
        // A failed run (and the daily ETL) records no step in its summary: its artifacts are
        // where every run keeps them, <artifacts>/<pipeline>/<date>/<step>/run-<id>/attempt-N
        // (the latest run's), or <step>/attempt-N for runs from before per-run folders.
        if (!stepOf(pipeline, run.summary).length) {
          for (const step of ['build', 'run', 'test']) {
            const latest = attemptDirs(path.join(src.artifactsDir, pipeline, date, step)).at(-1);
            const nodes = latest ? await stepNodes(src.artifactsDir, latest.dir) : undefined;
            if (nodes) out.push({ pipeline, nodes });
          }
        }
      }
      return out;
    }),
  );
  timings.artifactsMs = Date.now() - t3;
  const timingsByNode = new Map<string, NodeTiming>();
  const testStatus = new Map<string, { statuses: QualityStatus[]; details: (string | null)[] }>();
  let daysWithResults = 0;
  for (const [i, steps] of nodeDays.entries()) {
    if (steps.some((s) => s.nodes?.length)) daysWithResults++;
    for (const { pipeline, nodes } of steps) {
      for (const n of nodes ?? []) {
        if (n.resourceType === 'model' || n.resourceType === 'test' || n.resourceType === 'seed') {
          if (n.status !== 'skipped') {
            const key = `${n.resourceType}:${n.name}`;
            const t = timingsByNode.get(key) ?? { name: n.name, type: n.resourceType, pipeline, seconds: dates.map(() => null), latest: null, median: 0, max: 0 };
            t.seconds[i] = Math.round(n.executionSeconds * 1000) / 1000;
            timingsByNode.set(key, t);
          }
        }
        if (n.resourceType === 'test') {
          const s = testStatus.get(n.name) ?? { statuses: dates.map(() => null), details: dates.map(() => null) };
          const st: QualityStatus = n.status === 'pass' ? 'pass' : n.status === 'warn' ? 'warn' : n.status === 'fail' || n.status === 'error' ? 'fail' : null;
          if (st) {
            s.statuses[i] = st;
            if (st !== 'pass') s.details[i] = clean(`${n.failures !== null ? `${n.failures} failing rows. ` : ''}${n.message ?? ''}`.trim());
          }
          testStatus.set(n.name, s);
        }
      }
    }
  }
  for (const t of timingsByNode.values()) {
    const xs = t.seconds.filter((x): x is number => x !== null);
    t.latest = [...t.seconds].reverse().find((x) => x !== null) ?? null;
    t.median = median(xs);
    t.max = Math.max(0, ...xs);
  }
  const slowest = (type: string) =>
    [...timingsByNode.values()]
      .filter((t) => (type === 'model' ? t.type === 'model' || t.type === 'seed' : t.type === type))
      .sort((a, b) => b.median - a.median || b.max - a.max || a.name.localeCompare(b.name))
      .slice(0, 8);

  // ---- data quality ----------------------------------------------------------------------
  const validations = await Promise.all(dates.map((d) => validationOfDay(src.reportsDir, d)));
  const checkNames = [...KNOWN_CHECKS];
  const checkStatus = new Map<string, { statuses: QualityStatus[]; details: (string | null)[] }>();
  for (const name of checkNames) checkStatus.set(name, { statuses: dates.map(() => null), details: dates.map(() => null) });
  for (const [i, runs] of effectiveRuns.entries()) {
    const checks = runs.etl && Array.isArray(runs.etl.summary.checks) ? (runs.etl.summary.checks as unknown[]) : [];
    for (const c of checks) {
      if (typeof c !== 'string') continue;
      const [name = '', status = ''] = c.split(':');
      if (!checkStatus.has(name)) {
        checkNames.push(name);
        checkStatus.set(name, { statuses: dates.map(() => null), details: dates.map(() => null) });
      }
      const s = checkStatus.get(name)!;
      s.statuses[i] = status === 'pass' || status === 'warn' || status === 'fail' ? status : null;
      const v = validations[i]?.find((x) => x.name === name);
      if (v) s.details[i] = clean(`${v.detail} (rule: ${v.threshold})`);
    }
  }
  const warnTests = await warnSeverityTests(src.dbtProjectDir);
  const quality: QualityRow[] = [];
  const count = (xs: QualityStatus[], s: QualityStatus) => xs.filter((x) => x === s).length;
  for (const name of checkNames) {
    const s = checkStatus.get(name)!;
    quality.push({ name, kind: 'check', ...s, warned: count(s.statuses, 'warn'), failed: count(s.statuses, 'fail') });
  }
  for (const name of warnTests) {
    const s = testStatus.get(name) ?? { statuses: dates.map(() => null), details: dates.map(() => null) };
    // Without artifacts on this machine, the ledger still says which warn tests warned on a run that succeeded.
    for (const [i, runs] of effectiveRuns.entries()) {
      if (s.statuses[i] !== null || runs.dbt?.status !== 'succeeded') continue;
      const warned = stepOf('dbt_daily_run', runs.dbt.summary).some(([, st]) => st.warnings?.includes(name));
      s.statuses[i] = warned ? 'warn' : 'pass';
    }
    quality.push({ name, kind: 'warn test', ...s, warned: count(s.statuses, 'warn'), failed: count(s.statuses, 'fail') });
  }
  // Tests that failed on some day of the window (from the artifacts, or the ledger's error).
  const failedTests = new Map<string, { statuses: QualityStatus[]; details: (string | null)[] }>();
  for (const [name, s] of testStatus) if (!warnTests.includes(name) && s.statuses.includes('fail')) failedTests.set(name, s);
  for (const [i, runs] of effectiveRuns.entries()) {
    for (const run of [runs.dbt, runs.etl]) {
      if (run?.error_type !== 'DbtTestFailure' || !run.error) continue;
      const m = /dbt test failed: (.*)$/m.exec(run.error);
      for (const part of m?.[1]?.split(/,\s*(?=[\w.]+ \()/) ?? []) {
        const name = part.replace(/\s*\(.*\)\s*$/, '').trim();
        if (!name || warnTests.includes(name)) continue;
        const s = failedTests.get(name) ?? testStatus.get(name) ?? { statuses: dates.map(() => null), details: dates.map(() => null) };
        if (s.statuses[i] !== 'fail') {
          s.statuses[i] = 'fail';
          s.details[i] = clean(part);
        }
        failedTests.set(name, s);
      }
    }
  }
  for (const [name, s] of [...failedTests].sort((a, b) => a[0].localeCompare(b[0]))) {
    quality.push({ name, kind: 'failed test', ...s, warned: count(s.statuses, 'warn'), failed: count(s.statuses, 'fail') });
  }

  // ---- volume, business -----------------------------------------------------------------
  const vol = new Map(db.volume.map((v) => [v.day, v]));
  const lateByDay = new Map(db.late.map((v) => [v.day, Number(v.late)]));
  const volume: VolumeDay[] = dates.map((date) => {
    const v = vol.get(date);
    const m = markers.get(date);
    return {
      date,
      markerCount: m ? Number(m.row_count) : null,
      delivered: v ? Number(v.delivered) : null,
      events: v ? Number(v.events) : null,
      late: v ? (lateByDay.get(date) ?? 0) : null,
    };
  });
  const roasOf = (x: string | null) => (x === null ? null : Number(x));
  const days = new Map<string, BusinessDay>();
  const channelTotals = new Map<string, Money>();
  let total: Money = { spend: '0', revenue: '0', roas: null };
  for (const r of db.money) {
    const money: Money = { spend: r.spend, revenue: r.revenue, roas: roasOf(r.roas) };
    if (r.day && r.channel) {
      const d = days.get(r.day) ?? { date: r.day, spend: '0', revenue: '0', roas: null, campaigns: 0, conversions: 0, roas7d: null, channels: {} };
      d.channels[r.channel] = money;
      days.set(r.day, d);
    } else if (r.day) {
      const d = days.get(r.day) ?? { date: r.day, spend: '0', revenue: '0', roas: null, campaigns: 0, conversions: 0, roas7d: null, channels: {} };
      Object.assign(d, money, { campaigns: Number(r.campaigns), conversions: Number(r.conversions) });
      days.set(r.day, d);
    } else if (r.channel) channelTotals.set(r.channel, money);
    else if (Number(r.campaigns) > 0) total = money;
  }
  for (const t of db.totals7d) {
    const d = days.get(t.day);
    if (d) d.roas7d = roasOf(t.roas_7d);
  }
  const businessDays = dates.flatMap((d) => (days.has(d) ? [days.get(d)!] : []));
  timings.assembleMs = Date.now() - t2;

  // ---- alerts ----------------------------------------------------------------------------
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

  const dashboard: Dashboard = {
    generatedAt: now.toISOString(),
    window: { ...win, dates },
    temporal,
    health: { level: 'ok', headline: '', reasons: [] },
    calendar,
    live,
    slaMs,
    durations,
    attempts,
    slowest: { models: slowest('model'), tests: slowest('test'), daysWithResults },
    quality,
    volume,
    business: {
      published: db.tables.fct,
      days: businessDays,
      channels: [...channelTotals].map(([channel, t]) => ({ channel, total: t })).sort((a, b) => Number(b.total.spend) - Number(a.total.spend)),
      total,
      latest: businessDays[businessDays.length - 1],
    },
    alerts: { recent, inWindow: { total: db.windowAlerts.length, delivered, notDelivered: db.windowAlerts.length - delivered, byKind } },
    timings,
  };
  dashboard.health = assessHealth(dashboard, nowMs);
  timings.totalMs = Date.now() - t0;
  return dashboard;
}

/** The one-line answer at the top: is the pipeline healthy, and is the data right? */
export function assessHealth(d: Dashboard, nowMs: number): Health {
  const bad: string[] = [];
  const warn: string[] = [];
  const recent = d.calendar.slice(-7);
  if (!d.temporal.reachable) bad.push(`Temporal is not reachable (${d.temporal.error ?? 'unknown'}): runs in progress cannot be shown.`);
  for (const day of recent) {
    if (day.dbt.state === 'failed') bad.push(`dbt run of ${day.date} failed${day.dbt.run?.errorType ? ` (${day.dbt.run.errorType})` : ''}.`);
    if (day.etl.state === 'failed') bad.push(`Daily ETL of ${day.date} failed${day.etl.run?.errorType ? ` (${day.etl.run.errorType})` : ''}.`);
    if (day.dbt.state === 'missing') warn.push(`No dbt run for ${day.date}.`);
    if (day.etl.state === 'missing' && (day.dbt.state === 'succeeded' || day.dbt.state === 'skipped')) warn.push(`No daily ETL for ${day.date}.`);
    if (day.dbt.slaMissed) warn.push(`dbt run of ${day.date} missed its SLA.`);
  }
  for (const l of d.live) {
    if (l.pipeline === 'dbt_daily_run' && l.msToSla !== null && l.msToSla < 0) bad.push(`dbt run of ${l.runDate} is past its SLA and still ${l.step}.`);
    else if (l.step === 'waiting-for-flink' && nowMs - Date.parse(l.startedAt) > 30 * 60_000) warn.push(`dbt run of ${l.runDate} has waited for Flink more than 30 minutes.`);
  }
  const undelivered = d.alerts.recent.filter((a) => !a.delivered && nowMs - Date.parse(a.createdAt) < 7 * 86_400_000).length;
  if (undelivered) warn.push(`${undelivered} alert(s) of the last 7 days did not reach Slack.`);
  const lastDay = d.window.dates[d.window.dates.length - 1];
  for (const q of d.quality) {
    const s = q.statuses[q.statuses.length - 1];
    if (s === 'fail') bad.push(`${q.name} failed on ${lastDay}.`);
    else if (s === 'warn') warn.push(`${q.name} warned on ${lastDay}.`);
  }
  const reasons = [...bad, ...warn];
  if (bad.length) return { level: 'bad', headline: 'Needs attention now', reasons };
  if (warn.length) return { level: 'warn', headline: 'Working, with warnings', reasons };
  return { level: 'ok', headline: 'Healthy: runs on time, data checks pass', reasons: [] };
}
