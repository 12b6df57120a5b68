// Shapes shared by workflows, activities and clients. Types and pure constants only.
import type { PipelineName } from './pipelines';
import type { RetrySettings } from './settings';

export type { PipelineName };

/** run: seeds and models; test: their tests; build: both in one dbt process, in DAG order. */
export type DbtStep = 'run' | 'test' | 'build';

/** The progress step a dbt step shows as. */
export const DBT_STEP_PROGRESS = { run: 'dbt-run', test: 'dbt-test', build: 'dbt-build' } as const;

export interface DbtNodeSummary {
  name: string;
  resourceType: string;
  status: string;
  /** For tests: the number of failing rows. */
  failures: number | null;
  message: string | null;
  executionSeconds: number;
}

/**
 * How many nodes a run's history names at most, in a step's warnings or a failure's failing
 * nodes. Histories keep counts; every node's result is in the step's run_results.json.
 */
export const MAX_NODES_IN_HISTORY = 10;

/** A step's nodes by outcome, the ones passed on an earlier attempt included. */
export interface DbtNodeCounts {
  total: number;
  /** Models, seeds and tests that succeeded (warn-severity tests that found rows included). */
  passed: number;
  /** Tests that warned (also counted in passed). */
  warned: number;
  /** Errors and failing error-severity tests. */
  failed: number;
  skipped: number;
  /** Passed on an earlier attempt and not run again on this one. */
  carried: number;
}

export interface DbtStepInput {
  pipeline: PipelineName;
  runDate: string;
  step: DbtStep;
  /** dbt selectors, e.g. ['tag:daily_run']. */
  select: string[];
  /** Leave the seeds' published tables as they are (a trial, `roas test-step`): the models read them. */
  keepSeeds?: boolean;
}

export interface DbtStepResult {
  step: DbtStep;
  attempt: number;
  /** The command as dbt ran it on this attempt (a retry selects only what failed or was skipped). */
  command: string;
  targetPath: string;
  /** dbt's own elapsed time, from run_results.json. */
  dbtSeconds: number;
  /** Process start to exit, as the worker saw it. */
  wallSeconds: number;
  /** The step's nodes by outcome; each node's result is in run_results.json under targetPath. */
  nodeCounts: DbtNodeCounts;
  /** The first MAX_NODES_IN_HISTORY tests that warned (nodeCounts.warned says how many in all). */
  warnings: DbtNodeSummary[];
  /**
   * Every node of the step: only in results of runs recorded before results became counts
   * (their histories still replay, and clients still read them).
   */
  nodes?: DbtNodeSummary[];
}

/** Attached to a failed dbt step (ApplicationFailure details[0]) so alerts can explain it. */
export interface DbtFailureDetails {
  step: DbtStep;
  attempt: number;
  /** The first MAX_NODES_IN_HISTORY failing nodes. */
  failingNodes: DbtNodeSummary[];
  /** How many nodes failed in all (absent from failures recorded before the list was bounded). */
  failingNodeCount?: number;
  /** What to paste in a terminal to see the same failure. */
  reproduce: string;
  targetPath: string;
  summary: string;
}


export interface FlinkGateOptions {
  /** How long to wait for Flink before failing with an alert. */
  deadlineMs: number;
  /** How often to look at realtime.flink_batches in case a signal was lost. */
  recheckMs: number;
}

/** What started a run: a schedule, a person, a backfill, or the nightly look-back restating a published day. */
export type RunTrigger = 'schedule' | 'manual' | 'backfill' | 'restatement';

/** The cut of a day's events one dbt run read (realtime_cut.cuts). */
export interface EventCut {
  cutId: string;
  runDate: string;
  rows: number;
  maxIngestedAt: string | null;
  snapshot: string;
  seconds: number;
}

/** A published day that received rows after the cut it was built from. */
export interface LateDay {
  runDate: string;
  cutRows: number;
  rowsNow: number;
  lateRows: number;
  publishedAt: string;
}

export interface DbtDailyRunInput {
  runDate: string;
  /** When the run was due (ISO); the SLA counts from here. Defaults to the workflow's start. */
  scheduledTime?: string;
  /** Run even if the date already succeeded. */
  force?: boolean;
  trigger?: RunTrigger;
  retry?: RetrySettings;
  slaMs?: number;
  flinkGate?: FlinkGateOptions;
  /** Web UI base URL, for links in alerts. */
  webUiUrl?: string;
  namespace?: string;
}

export type DbtDailyRunStep = 'starting' | 'waiting-for-flink' | 'dbt-run' | 'dbt-test' | 'dbt-build' | 'publishing' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';
export type EtlStep = 'starting' | 'waiting-for-dbt-run' | 'validating' | 'dbt-run' | 'dbt-test' | 'dbt-build' | 'publishing' | 'generating-report' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';

export interface DbtProgress {
  step: DbtStep;
  attempt: number;
  nodesDone: number;
  nodesTotal: number;
  failures: string[];
}

export interface DbtDailyRunProgress {
  runDate: string;
  step: DbtDailyRunStep | EtlStep;
  nodesDone: number;
  nodesTotal: number;
  attempt: number;
  failures: string[];
  startedAt: string;
  slaDeadline: string;
  slaMissed: boolean;
  /** When the current step began (ISO); absent from runs started before it was added. */
  stepSince?: string;
  /**
   * At 'waiting-for-flink', where the date's gate stands, when a client asked it: still looking at
   * the table (partition upkeep, the first look), waiting for a marker, or open. Unknown inside
   * the workflow, which then says it waits.
   */
  flinkGate?: 'checking' | 'waiting' | 'open';
  /** How the step's previous attempt ended, when it is on a later one (read by clients from the pending activity; never set by the workflow). */
  lastAttempt?: LastAttempt;
}

/** A step's previous attempt, as the server keeps it with the pending activity. */
export interface LastAttempt {
  attempt: number;
  /** Its worker stopped heartbeating (killed, out of memory, a lost machine): the attempt was lost, not failed. */
  lost: boolean;
  /** Why it failed, first line, when it was not lost. */
  failure?: string;
  /** When the server ended it (ISO). */
  endedAt?: string;
  /** When the next attempt is (or was) due, while it waits (ISO). */
  retryAt?: string;
  /** When the next attempt started (ISO). */
  retriedAt?: string;
}

export interface DbtDailyRunResult {
  runDate: string;
  status: 'succeeded' | 'skipped';
  slaMet: boolean;
  startedAt: string;
  finishedAt: string;
  steps: DbtStepResult[];
  warnings: DbtNodeSummary[];
  /** What became visible in `analytics` (absent when skipped). */
  published?: PublishResult;
  /** The cut of the day's events the run read (absent when skipped). */
  cut?: EventCut;
  /** Why the run was skipped. */
  reason?: string;
}

export type AlertKind = 'failure' | 'sla_miss' | 'flink_gate_deadline' | 'restatement' | 'freshness';

export interface Alert {
  /** One alert per incident: a retried alert activity with the same key sends nothing. */
  incidentKey: string;
  kind: AlertKind;
  pipeline: PipelineName;
  runDate: string;
  title: string;
  /** Plain-text lines: what failed, why, what to do. */
  lines: string[];
  link?: string;
  /** The workflow ID of a run still going: the alert adds how far its dbt step is. */
  progressOf?: string;
  /**
   * A failed dbt step named only some of its failing nodes in the run's history: the alert lists
   * more of them from the step's run_results.json, when the worker that sends it can read it.
   */
  failingNodesOf?: { targetPath: string; listed: string[] };
}

export interface LedgerStart {
  workflowId: string;
  runId: string;
  pipeline: PipelineName;
  runDate: string;
  trigger: string;
  scheduledAt: string | null;
}

export interface LedgerUpdate {
  workflowId: string;
  runId: string;
  status?: 'running' | 'succeeded' | 'failed' | 'cancelled' | 'skipped';
  currentStep?: string;
  attempts?: number;
  slaMet?: boolean | null;
  errorType?: string | null;
  error?: string | null;
  summary?: Record<string, unknown>;
  finished?: boolean;
}

// ---- daily ETL -------------------------------------------------------------------------

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface ValidationCheck {
  name: string;
  /** The measured value: a count, a rate or a ratio. */
  value: number;
  /** The rule it was held against, in words. */
  threshold: string;
  status: CheckStatus;
  detail: string;
}

/** Rates are shares of the day's events; a check warns above `warn` and fails above `fail`. */
export interface ValidationThresholds {
  /** Day's events against the median of the previous 7 days. */
  rowCountRatio: { failBelow: number; warnBelow: number; warnAbove: number; failAbove: number };
  duplicateRate: { warn: number; fail: number };
  invalidRate: { warn: number; fail: number };
  lateRate: { warn: number; fail: number };
  unknownCampaignRate: { warn: number; fail: number };
  unknownCurrencyRate: { warn: number; fail: number };
}

export interface DailyEtlInput {
  runDate: string;
  scheduledTime?: string;
  force?: boolean;
  trigger?: RunTrigger;
  retry?: RetrySettings;
  /** How long to wait for the date's dbt run to finish. */
  waitForDbtRunMs?: number;
  /** How often to look at the dbt run in case its completion signal was missed. */
  recheckMs?: number;
  thresholds?: ValidationThresholds;
  webUiUrl?: string;
  namespace?: string;
}

export type DbtRunState = 'succeeded' | 'running' | 'failed' | 'missing';

export interface ReportSummary {
  runDate: string;
  dir: string;
  htmlPath: string;
  files: string[];
  /** Exact decimal text, as the database holds it. */
  spendKrw: string;
  revenueKrw: string;
  roas: number | null;
  /** ROAS over the 7 days ending on the run date, published days only. */
  roas7d: number | null;
  /** The day's ROAS against roas7d, in percent (computed by dbt); null without another day to compare. */
  roasChangePct: number | null;
  /** Days of the 7-day window that are not published (failed or not run). */
  windowMissingDays: string[];
  /** Days of the window restated after late rows arrived: ROAS at first publication and now (dbt's figures). */
  restatedDays?: { day: string; roasFirst: number | null; roasNow: number | null; changePct: number | null }[];
  campaigns: number;
}

export interface DailyEtlResult {
  runDate: string;
  status: 'succeeded' | 'skipped';
  checks: ValidationCheck[];
  steps: DbtStepResult[];
  report: ReportSummary | null;
  published?: PublishResult;
  startedAt: string;
  finishedAt: string;
  reason?: string;
}

/** Publish a date's audited models of one pipeline step into `analytics`, all at once. */
export interface PublishInput {
  pipeline: PipelineName;
  runDate: string;
  /** The dbt tag of the step's models, e.g. 'daily_run'. */
  tag: string;
  /** The cut of the events the models were built from: marked published with them. */
  cutId?: string;
}

export interface PublishResult {
  runDate: string;
  /** Published tables, e.g. 'analytics.fct_daily_metrics'; each got the date's partition. */
  models: string[];
  /** Models whose earlier published version of the date was replaced. */
  replaced: string[];
  /** A retry found the date already published by an earlier attempt of the same step. */
  alreadyPublished: boolean;
  milliseconds: number;
}
