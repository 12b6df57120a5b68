// Freshness: after each publish, how long after the end of its day each model became readable,
// against the promise its YAML declares; a promise missed is recorded once and alerted once,
// whether the day came late ('late') or had not come when the promise ran out ('missing').
import type pg from 'pg';
import { PIPELINES, type PipelineName } from '../../src/core/pipelines';
import type { Alert } from '../../src/core/types';
import { dayIdentifier } from '../dbt/publish';
import type { DayPublished } from '../observers';
import type { RecordNode } from './manifest';
import { endOfDay, promiseDeadline, type FreshnessPromise } from './promise';

export interface FreshnessDeps {
  pool: pg.Pool;
  /** The project's models as the newest manifest has them (undefined: no dbt step has run here yet). */
  manifest: () => Map<string, RecordNode> | undefined;
  sendAlert: (alert: Alert) => Promise<unknown>;
  /** Only days this recent (UTC, today included) are alerted: older ones are backfills. */
  lookbackDays: number;
}

interface Marker {
  at: Date | null;
}

/** The promises of the project's models, by model name. */
function promisesByModel(deps: FreshnessDeps): Map<string, { node: RecordNode; promise: FreshnessPromise }> {
  const out = new Map<string, { node: RecordNode; promise: FreshnessPromise }>();
  for (const node of deps.manifest()?.values() ?? []) if (node.resourceType === 'model' && node.promise) out.set(node.name, { node, promise: node.promise });
  return out;
}

async function flinkMarker(pool: pg.Pool, runDate: string): Promise<Marker> {
  const { rows } = await pool.query<{ completed_at: Date }>('SELECT completed_at FROM realtime.flink_batches WHERE run_date = $1', [runDate]);
  return { at: rows[0]?.completed_at ?? null };
}

/**
 * Whether a miss of this day is worth an alert: the day is within the look-back, and its
 * promise ran out after the orchestrator's first run (a new install, or a backfill of old days,
 * is not late).
 */
async function alertable(deps: FreshnessDeps, runDate: string, deadline: Date, now: Date): Promise<boolean> {
  const oldest = new Date(Date.parse(`${now.toISOString().slice(0, 10)}T00:00:00Z`) - deps.lookbackDays * 86_400_000);
  if (Date.parse(`${runDate}T00:00:00Z`) < oldest.getTime()) return false;
  const { rows } = await deps.pool.query<{ first: Date | null }>('SELECT min(started_at) AS first FROM orchestrator.pipeline_runs');
  return Boolean(rows[0]?.first && deadline >= rows[0].first);
}

/** One row per published model in orchestrator.model_freshness; a late first publish is a miss. */
export async function recordPublish(deps: FreshnessDeps, e: DayPublished): Promise<void> {
  if (e.outcome !== 'success' || !e.models.length) return;
  const promises = promisesByModel(deps);
  const marker = await flinkMarker(deps.pool, e.runDate);
  const publishedAt = new Date(e.at);
  const freshness = (publishedAt.getTime() - endOfDay(e.runDate).getTime()) / 1000;
  for (const qualified of e.models) {
    const model = qualified.split('.').pop()!;
    const declared = promises.get(model);
    const deadline = declared ? promiseDeadline(declared.promise, e.runDate, marker.at) : null;
    const met = deadline ? publishedAt <= deadline : null;
    const { rows } = await deps.pool.query<{ earlier: boolean }>(
      `WITH earlier AS (SELECT 1 FROM orchestrator.model_freshness WHERE model = $1 AND run_date = $2 AND published_at < $3)
       INSERT INTO orchestrator.model_freshness (model, run_date, published_at, workflow_id, run_id, flink_marker_at, freshness_seconds, promise, promise_seconds, met)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
        -- A retried publish of the same run finds the day published already: not a new publish.
        WHERE NOT EXISTS (SELECT 1 FROM orchestrator.model_freshness WHERE model = $1 AND run_date = $2 AND workflow_id = $4 AND run_id = $5)
       ON CONFLICT DO NOTHING
       RETURNING EXISTS (SELECT 1 FROM earlier) AS earlier`,
      [model, e.runDate, publishedAt, e.workflowId, e.runId, marker.at, freshness, declared?.promise.text ?? null, declared?.promise.withinSeconds ?? null, met],
    );
    // A day published again (a restatement, a forced run) was on time or missed already.
    const first = rows.length > 0 && !rows[0]!.earlier && !e.replaced.includes(qualified);
    if (met !== false || !first || !declared || !(await alertable(deps, e.runDate, deadline!, new Date()))) continue;
    const late = formatSeconds((publishedAt.getTime() - deadline!.getTime()) / 1000);
    await recordMiss(deps, declared.node, declared.promise, e.runDate, 'late', `published at ${publishedAt.toISOString()}, ${late} after its promise ran out (${deadline!.toISOString()})`);
  }
}

/**
 * The periodic check: each model with a promise, each day of the look-back whose promise has run
 * out with the model not published. A flink_marker promise starts with the marker: a day without
 * one is the Flink gate's deadline alert's business, not this one's.
 */
export async function checkMissing(deps: FreshnessDeps, now = new Date()): Promise<number> {
  let found = 0;
  for (const { node, promise } of promisesByModel(deps).values()) {
    for (let back = deps.lookbackDays; back >= 0; back--) {
      const runDate = new Date(now.getTime() - back * 86_400_000).toISOString().slice(0, 10);
      const deadline = promiseDeadline(promise, runDate, (await flinkMarker(deps.pool, runDate)).at);
      if (!deadline || deadline > now || (await published(deps.pool, node.name, runDate))) continue;
      if (!(await alertable(deps, runDate, deadline, now))) continue;
      const inserted = await recordMiss(deps, node, promise, runDate, 'missing', `not published when its promise ran out (${deadline.toISOString()}); still not published at ${now.toISOString()}`);
      if (inserted) found++;
    }
  }
  return found;
}

/** Published: recorded by a publish, or its day's partition attached (a day published before the record existed). */
async function published(pool: pg.Pool, model: string, runDate: string): Promise<boolean> {
  const { rows } = await pool.query<{ yes: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM orchestrator.model_freshness WHERE model = $1 AND run_date = $2)
         OR EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'analytics' AND c.relname = $3) AS yes`,
    [model, runDate, dayIdentifier(model, runDate)],
  );
  return rows[0]!.yes;
}

/** Records the miss; alerts only when this call recorded it (once per model and day, across workers). */
async function recordMiss(deps: FreshnessDeps, node: RecordNode, promise: FreshnessPromise, runDate: string, kind: 'late' | 'missing', detail: string): Promise<boolean> {
  const { rowCount } = await deps.pool.query(
    `INSERT INTO orchestrator.freshness_misses (model, run_date, promise, kind, detail) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [node.name, runDate, promise.text, kind, detail],
  );
  if (!rowCount) return false;
  const pipeline = pipelineOf(node);
  await deps.sendAlert({
    incidentKey: `freshness:${node.name}:${runDate}`,
    kind: 'freshness',
    pipeline,
    runDate,
    title: `Freshness promise missed: ${node.name} for ${runDate}`,
    lines: [
      `${node.name} (${node.relation ?? node.uniqueId}) promises to be published ${promise.text}: ${kind === 'late' ? 'it came late' : 'it has not come'}.`,
      `${detail[0]!.toUpperCase()}${detail.slice(1)}.`,
      kind === 'late'
        ? `See why with: roas status --date ${runDate}`
        : `See where the day is with: roas status --date ${runDate} (the run may still be going, failed, or not started)`,
    ],
  });
  return true;
}

function pipelineOf(node: RecordNode): PipelineName {
  return Object.values(PIPELINES).find((p) => node.tags.includes(p.dbtTag))?.name ?? PIPELINES.dbt.name;
}

function formatSeconds(s: number): string {
  if (s < 120) return `${Math.round(s)}s`;
  if (s < 7_200) return `${Math.round(s / 60)}m`;
  return `${(s / 3_600).toFixed(1)}h`;
}
