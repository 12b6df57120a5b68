// The pipeline's own Prometheus metrics (Temporal's runtime metrics have their own endpoint,
// TEMPORAL_METRICS_ADDRESS). Recorded by activities, which run in the worker process.
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface PipelineMetrics {
  registry: Registry;
  dbtStep(labels: { pipeline: string; step: string; outcome: string }, seconds: number, attempt: number, rows: number): void;
  runFinished(labels: { pipeline: string; status: string }, seconds: number, slaMet: boolean | null): void;
  alert(kind: string, delivered: boolean): void;
}

export function createPipelineMetrics(): PipelineMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'roas_worker_' });
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
  };
}
