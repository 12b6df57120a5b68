// The pipeline's own Prometheus metrics (Temporal's runtime metrics have their own endpoint,
// TEMPORAL_METRICS_ADDRESS). Recorded by activities, which run in the worker process; a few
// gauges are read when Prometheus scrapes: whether the worker polls, its memory limit, and the
// Flink gates waiting now (from the run ledger, which every replica shares).
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { PIPELINE_NAMES } from '../core/pipelines';
import type { DbtWarmInfo } from './dbt-warm';

/** A dbt daily run waiting at its Flink gate, as the ledger has it. */
export interface FlinkGateWait {
  pipeline: string;
  runDate: string;
  /** When the run began waiting (its start: the gate is its first step). */
  since: Date;
}

/** What the scrape-time gauges read; given once the worker exists (see startHealthServer). */
export interface WorkerSources {
  /** The Temporal worker's state: RUNNING means it polls its task queue. */
  workerState: () => string;
  taskQueue: string;
  flinkGatesWaiting?: () => Promise<FlinkGateWait[]>;
  /** Whether dbt is kept warm, its versions and why anything fell back. */
  dbtWarm?: () => Promise<DbtWarmInfo>;
}

export interface PipelineMetrics {
  registry: Registry;
  dbtStep(labels: { pipeline: string; step: string; outcome: string }, seconds: number, attempt: number, rows: number): void;
  runFinished(labels: { pipeline: string; status: string }, seconds: number, slaMet: boolean | null): void;
  alert(kind: string, delivered: boolean): void;
  /** One OpenLineage event delivered, or dropped (queue full, sending failed, worker stopping). */
  lineageEvent(outcome: 'sent' | 'dropped', reason?: string): void;
  watch(sources: WorkerSources): void;
}

const PIPELINES = PIPELINE_NAMES;
const RUN_STATUSES = ['succeeded', 'failed', 'cancelled'];
const ALERT_KINDS = ['failure', 'sla_miss', 'flink_gate_deadline', 'restatement', 'freshness'];
/** A scrape never waits longer than this for the ledger; the last answer stands meanwhile. */
const LEDGER_TIMEOUT_MS = 2_000;

export function createPipelineMetrics(): PipelineMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'roas_worker_' });
  let sources: WorkerSources | undefined;
  const stepSeconds = new Histogram({
    name: 'roas_dbt_step_duration_seconds',
    help: 'Wall time of one dbt step attempt',
    labelNames: ['pipeline', 'step', 'outcome'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  const retries = new Counter({ name: 'roas_dbt_step_retries_total', help: 'dbt step attempts after the first', labelNames: ['pipeline', 'step'], registers: [registry] });
  const rows = new Counter({ name: 'roas_dbt_rows_processed_total', help: 'Rows written by dbt models (adapter rows affected)', labelNames: ['pipeline'], registers: [registry] });
  const runSeconds = new Histogram({
    name: 'roas_pipeline_run_duration_seconds',
    help: 'Wall time of a pipeline run, start to end',
    labelNames: ['pipeline', 'status'],
    buckets: [10, 30, 60, 300, 900, 1800, 3600, 7200, 21600],
    registers: [registry],
  });
  const slaMisses = new Counter({ name: 'roas_sla_misses_total', help: 'Runs that missed their SLA', labelNames: ['pipeline'], registers: [registry] });
  const alerts = new Counter({ name: 'roas_alerts_total', help: 'Alerts raised, by kind and whether Slack took them', labelNames: ['kind', 'delivered'], registers: [registry] });
  // Every series an alert rule counts starts at 0, so increase() sees the first run that fails
  // or the first SLA miss after a worker start (a series born at 1 has no increase to show).
  for (const pipeline of PIPELINES) {
    for (const status of RUN_STATUSES) runSeconds.zero({ pipeline, status });
    slaMisses.inc({ pipeline }, 0);
  }
  for (const kind of ALERT_KINDS) for (const delivered of ['true', 'false']) alerts.inc({ kind, delivered }, 0);
  const lineageSent = new Counter({ name: 'roas_lineage_events_sent_total', help: 'OpenLineage events delivered to the collector (or the file)', registers: [registry] });
  const lineageDropped = new Counter({ name: 'roas_lineage_events_dropped_total', help: 'OpenLineage events given up: the queue was full, sending failed or timed out, or the worker stopped first', labelNames: ['reason'], registers: [registry] });
  lineageSent.inc(0);
  for (const reason of ['queue_full', 'send_failed', 'closed']) lineageDropped.inc({ reason }, 0);

  registerWorkerGauges(registry, () => sources);

  return {
    registry,
    dbtStep(labels, seconds, attempt, rowCount) {
      stepSeconds.observe(labels, seconds);
      if (attempt > 1) retries.inc({ pipeline: labels.pipeline, step: labels.step });
      if (rowCount > 0) rows.inc({ pipeline: labels.pipeline }, rowCount);
    },
    runFinished(labels, seconds, slaMet) {
      runSeconds.observe(labels, seconds);
      if (slaMet === false) slaMisses.inc({ pipeline: labels.pipeline });
    },
    alert(kind, delivered) {
      alerts.inc({ kind, delivered: String(delivered) });
    },
    lineageEvent(outcome, reason) {
      if (outcome === 'sent') lineageSent.inc();
      else lineageDropped.inc({ reason: reason ?? 'send_failed' });
    },
    watch(s) {
      sources = s;
    },
  };
}

/** The gauges read when Prometheus scrapes: the worker polling, its memory limit, the Flink gates waiting, dbt kept warm. */
function registerWorkerGauges(registry: Registry, sources: () => WorkerSources | undefined): void {
  new Gauge({
    name: 'roas_worker_polling',
    help: '1 while this worker polls its Temporal task queue (state RUNNING), 0 otherwise',
    labelNames: ['task_queue'],
    registers: [registry],
    collect() {
      this.reset();
      const s = sources();
      if (s) this.set({ task_queue: s.taskQueue }, s.workerState() === 'RUNNING' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'roas_worker_memory_limit_bytes',
    help: "The memory the worker's container (cgroup) may use, or the machine's memory when it has no limit; dbt runs as its child, inside the same limit",
    registers: [registry],
    collect() {
      this.set(memoryLimitBytes());
    },
  });
  let lastWaits: FlinkGateWait[] = [];
  let pending: Promise<void> | undefined;
  new Gauge({
    name: 'roas_flink_gate_waiting_since_timestamp_seconds',
    help: 'Unix time since which a daily run has waited at its Flink gate for Flink to report its date complete; one series per date waiting now',
    labelNames: ['pipeline', 'run_date'],
    registers: [registry],
    async collect() {
      const read = sources()?.flinkGatesWaiting;
      if (read) {
        // The ledger unreachable or slow: keep the last answer rather than report no gate waiting.
        pending ??= withTimeout(read(), LEDGER_TIMEOUT_MS)
          .then((waits) => void (lastWaits = waits))
          .catch(() => undefined)
          .finally(() => (pending = undefined));
        await pending;
      }
      this.reset();
      for (const w of lastWaits) this.set({ pipeline: w.pipeline, run_date: w.runDate }, Math.floor(w.since.getTime() / 1000));
    },
  });

  new Gauge({
    name: 'roas_dbt_warm',
    help: '1 while dbt is kept warm (imported once, a process forked per step), 0 when each step starts dbt plainly; the labels give the versions of dbt-core, dbt-adapters, dbt-postgres, dbt-common and Jinja2, and why anything fell back (empty: nothing did)',
    labelNames: ['dbt_core', 'dbt_adapters', 'dbt_postgres', 'dbt_common', 'jinja2', 'fallback'],
    registers: [registry],
    async collect() {
      const info = await sources()?.dbtWarm?.().catch(() => undefined);
      this.reset();
      if (!info) return;
      const v = (name: string) => info.versions[name] ?? 'none';
      const labels = { dbt_core: v('dbt-core'), dbt_adapters: v('dbt-adapters'), dbt_postgres: v('dbt-postgres'), dbt_common: v('dbt-common'), jinja2: v('Jinja2'), fallback: info.reasons.join('; ').slice(0, 300) };
      this.set(labels, info.warm ? 1 : 0);
    },
  });
}

/** cgroup v2, then v1; "max" or v1's huge number mean no limit: then the machine's memory. */
export function memoryLimitBytes(read: (file: string) => string | undefined = readText, totalMem = os.totalmem()): number {
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    const text = read(file)?.trim();
    if (text && /^\d+$/.test(text)) return Math.min(Number(text), totalMem);
    if (text === 'max') break;
  }
  return totalMem;
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
