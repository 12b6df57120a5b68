// Rows of the per-model record (migrations/0011_model_record.sql) as the worker writes them, for
// tests of what reads them (roas lineage, the dashboard's model pages): a run in the ledger, and
// each node of the real dbt project (dbt/models/**, dbt/seeds) with its dependencies, its status
// and its cost; each published model's freshness.
import type pg from 'pg';

const P = 'marketing_roas';
export const id = {
  campaigns: `seed.${P}.campaigns`,
  fxRates: `seed.${P}.fx_rates`,
  events: `source.${P}.realtime.ad_events`,
  batches: `source.${P}.realtime.flink_batches`,
  stg: `model.${P}.stg_ad_events`,
  byCampaign: `model.${P}.stg_ad_events_by_campaign`,
  rowChecks: `model.${P}.stg_ad_events_row_checks`,
  hourly: `model.${P}.int_hourly_agg`,
  fct: `model.${P}.fct_daily_metrics`,
  rptTotals: `model.${P}.rpt_daily_totals`,
};

export interface NodeRow {
  unique_id: string;
  resource_type: 'model' | 'seed' | 'test';
  status: string;
  duration_seconds: number;
  rows_affected?: number | null;
  failures?: number | null;
  message?: string | null;
  attached_to?: string | null;
  depends_on?: string[];
  relation?: string | null;
  calls?: number | null;
  exec_ms?: number | null;
  shared_blks_read?: number | null;
  shared_blks_hit?: number | null;
}

const cost = (calls: number, ms: number, read: number, hit: number) => ({ calls, exec_ms: ms, shared_blks_read: read, shared_blks_hit: hit });

/** The daily run's nodes as one `dbt build` records them; `overrides` change a node's row by name. */
export function dailyRunNodes(overrides: Record<string, Partial<NodeRow>> = {}): NodeRow[] {
  const nodes: NodeRow[] = [
    { unique_id: id.campaigns, resource_type: 'seed', status: 'success', duration_seconds: 0.41, rows_affected: 12, relation: 'analytics.campaigns', ...cost(3, 4.2, 1, 9) },
    { unique_id: id.fxRates, resource_type: 'seed', status: 'success', duration_seconds: 0.35, rows_affected: 6, relation: 'analytics.fx_rates', ...cost(3, 2.9, 1, 7) },
    { unique_id: id.stg, resource_type: 'model', status: 'success', duration_seconds: 2.84, rows_affected: 200000, depends_on: [id.events, id.fxRates], relation: 'analytics_audit.stg_ad_events', ...cost(4, 1912.5, 2210, 30411) },
    { unique_id: id.byCampaign, resource_type: 'model', status: 'success', duration_seconds: 0.62, rows_affected: 12, depends_on: [id.stg], relation: 'analytics_audit.stg_ad_events_by_campaign', ...cost(2, 88.1, 0, 2480) },
    { unique_id: id.rowChecks, resource_type: 'model', status: 'success', duration_seconds: 0.93, rows_affected: 0, depends_on: [id.campaigns, id.stg, id.batches], relation: 'analytics_audit.stg_ad_events_row_checks', ...cost(2, 140.7, 0, 3120) },
    { unique_id: id.hourly, resource_type: 'model', status: 'success', duration_seconds: 1.27, rows_affected: 288, depends_on: [id.stg], relation: 'analytics_audit.int_hourly_agg', ...cost(3, 402.3, 0, 2893) },
    { unique_id: id.fct, resource_type: 'model', status: 'success', duration_seconds: 0.58, rows_affected: 12, depends_on: [id.campaigns, id.hourly], relation: 'analytics_audit.fct_daily_metrics', ...cost(3, 21.4, 0, 310) },
    test('stg_ad_events_amounts_not_negative', id.stg, 'pass', 0.12),
    test('stg_ad_events_late_arrivals', id.stg, 'pass', 0.1),
    test('not_null_stg_ad_events_event_id', id.stg, 'pass', 0.09),
    test('int_hourly_agg_at_most_24_hours', id.hourly, 'pass', 0.08),
    test('fct_daily_metrics_one_row_per_campaign_day', id.fct, 'pass', 0.07),
    test('fct_daily_metrics_spend_spike', id.fct, 'pass', 0.06),
  ];
  return nodes.map((n) => ({ ...n, ...(overrides[n.unique_id.split('.').pop()!] ?? {}) }));
}

function test(name: string, on: string, status: string, seconds: number): NodeRow {
  return { unique_id: `test.${P}.${name}`, resource_type: 'test', status, duration_seconds: seconds, failures: status === 'pass' ? 0 : null, attached_to: on, depends_on: [on] };
}

export interface RecordedRun {
  date: string;
  workflowId: string;
  runId: string;
  pipeline?: string;
  status?: string;
  trigger?: string;
  startedAt?: string;
  /** Each attempt of the `build` step, its nodes. */
  attempts: NodeRow[][];
}

/** A run in the ledger and its nodes in orchestrator.model_runs, as the worker writes them. */
export async function recordRun(pool: pg.Pool, run: RecordedRun): Promise<void> {
  const pipeline = run.pipeline ?? 'dbt_daily_run';
  const started = run.startedAt ?? `${addDay(run.date)}T00:00:05Z`;
  await pool.query(
    `INSERT INTO orchestrator.pipeline_runs (workflow_id, run_id, pipeline, run_date, status, trigger, started_at, finished_at, attempts, current_step)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7::timestamptz + interval '3 minutes', $8, 'build')`,
    [run.workflowId, run.runId, pipeline, run.date, run.status ?? 'succeeded', run.trigger ?? 'schedule', started, run.attempts.length],
  );
  for (const [i, nodes] of run.attempts.entries()) {
    for (const n of nodes) {
      await pool.query(
        `INSERT INTO orchestrator.model_runs (workflow_id, run_id, pipeline, run_date, step, attempt, unique_id, name, resource_type, status,
           started_at, finished_at, duration_seconds, rows_affected, failures, message, attached_to, depends_on, relation, calls, exec_ms, shared_blks_read, shared_blks_hit)
         VALUES ($1, $2, $3, $4, 'build', $5, $6, $7, $8, $9, $10::timestamptz, $10::timestamptz + make_interval(secs => $11), $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
        [
          run.workflowId, run.runId, pipeline, run.date, i + 1, n.unique_id, n.unique_id.split('.').pop(), n.resource_type, n.status,
          started, n.duration_seconds, n.rows_affected ?? null, n.failures ?? null, n.message ?? null, n.attached_to ?? null, n.depends_on ?? [],
          n.relation ?? null, n.calls ?? null, n.exec_ms ?? null, n.shared_blks_read ?? null, n.shared_blks_hit ?? null,
        ],
      );
    }
  }
}

/** A publish of `model` for `date`, `hoursAfter` hours after the day ended, against a promise of `promiseHours`. */
export async function recordPublish(pool: pg.Pool, p: { model: string; date: string; workflowId: string; runId: string; hoursAfter: number; promiseHours?: number }): Promise<void> {
  const seconds = p.hoursAfter * 3600;
  const promiseSeconds = p.promiseHours === undefined ? null : p.promiseHours * 3600;
  await pool.query(
    `INSERT INTO orchestrator.model_freshness (model, run_date, published_at, workflow_id, run_id, flink_marker_at, freshness_seconds, promise, promise_seconds, met)
     VALUES ($1, $2, ($2::date + 1)::timestamptz + make_interval(secs => $5), $3, $4, ($2::date + 1)::timestamptz + interval '10 minutes', $5, $6, $7, $8)`,
    [p.model, p.date, p.workflowId, p.runId, seconds, promiseSeconds === null ? null : `within ${p.promiseHours}h of the end of the day`, promiseSeconds, promiseSeconds === null ? null : seconds <= promiseSeconds],
  );
}

function addDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}
