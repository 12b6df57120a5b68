// What the dashboard reads and what it shows: the types every section shares.
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import type { Pipeline } from './files';

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
  /** Rows that arrived after the day's published cut, not restated yet (the window's last 8 days only). */
  lateWaiting?: number | null;
  /** How many times the day was restated. */
  restated?: number;
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
  /** The worker's dbt: kept warm or plain, its versions, why anything fell back (as the worker last started). */
  dbt?: string;
}

export interface LedgerRow {
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

export interface StepSummary {
  attempt?: number;
  dbtSeconds?: number;
  warnings?: string[];
  targetPath?: string;
}

/** What every section of one gathering shares: where it reads, the window, the clock. */
export interface Gathering {
  src: DashboardSources;
  win: { start: string; end: string; days: number };
  dates: string[];
  now: Date;
  nowMs: number;
  /** Text as it may be shown: secrets scrubbed. */
  clean: (s: string | null) => string | null;
  timings: Record<string, number>;
}
