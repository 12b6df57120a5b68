// One row per node (model, seed, test) of each attempt of each dbt step in
// orchestrator.model_runs: dbt's result (run_results.json), where it sits in the project
// (manifest.json, both in the step's target path) and what its statements cost.
import type pg from 'pg';
import { readStepManifest } from '../../src/artifacts/manifest';
import { readRunResults } from '../../src/artifacts/run-results';
import type { DbtStepFinished } from '../observers';
import type { NodeCost } from './costs';
import { recordNodes } from './manifest';

export interface ModelRunRow {
  unique_id: string;
  name: string;
  resource_type: string;
  status: string;
  started_at: string | null;
  finished_at: string | null;
  duration_seconds: number;
  rows_affected: number | null;
  failures: number | null;
  message: string | null;
  attached_to: string | null;
  depends_on: string[];
  relation: string | null;
  calls: number | null;
  exec_ms: number | null;
  shared_blks_read: number | null;
  shared_blks_hit: number | null;
}

/** The rows of one step attempt; none when dbt wrote no run_results.json. `costs` undefined: costs unknown (NULL). */
export function modelRunRows(e: DbtStepFinished, costs: Map<string, NodeCost> | undefined): ModelRunRow[] {
  const run = readRunResults(e.targetPath);
  if (!run) return [];
  const manifest = recordNodes(readStepManifest(e.targetPath));
  return run.nodes.map((n) => {
    const m = manifest?.get(n.uniqueId);
    // A node that ran statements but none were seen (evicted from pg_stat_statements) counts 0.
    const cost = costs ? (costs.get(n.uniqueId) ?? { calls: 0, execMs: 0, sharedBlksRead: 0, sharedBlksHit: 0 }) : undefined;
    return {
      unique_id: n.uniqueId,
      name: m?.name ?? n.name,
      resource_type: m?.resourceType ?? n.resourceType,
      status: n.status,
      started_at: n.startedAt ?? null,
      finished_at: n.finishedAt ?? null,
      duration_seconds: n.executionSeconds,
      rows_affected: n.resourceType === 'test' ? null : n.rowsAffected,
      failures: n.resourceType === 'test' ? n.failures : null,
      message: n.message,
      attached_to: m?.attachedTo ?? null,
      depends_on: m?.dependsOn ?? [],
      relation: m?.relation ?? null,
      calls: cost?.calls ?? null,
      exec_ms: cost?.execMs ?? null,
      shared_blks_read: cost?.sharedBlksRead ?? null,
      shared_blks_hit: cost?.sharedBlksHit ?? null,
    };
  });
}

/** Writes the rows; a retried or repeated report of the same attempt writes nothing twice. */
export async function insertModelRuns(pool: pg.Pool, e: DbtStepFinished, rows: ModelRunRow[]): Promise<number> {
  if (!rows.length) return 0;
  const { rowCount } = await pool.query(
    `INSERT INTO orchestrator.model_runs (workflow_id, run_id, pipeline, run_date, step, attempt, unique_id, name, resource_type, status,
       started_at, finished_at, duration_seconds, rows_affected, failures, message, attached_to, depends_on, relation,
       calls, exec_ms, shared_blks_read, shared_blks_hit)
     SELECT $1, $2, $3, $4, $5, $6, r.unique_id, r.name, r.resource_type, r.status,
            r.started_at, r.finished_at, r.duration_seconds, r.rows_affected, r.failures, r.message, r.attached_to,
            ARRAY(SELECT jsonb_array_elements_text(r.depends_on)), r.relation, r.calls, r.exec_ms, r.shared_blks_read, r.shared_blks_hit
       FROM jsonb_to_recordset($7::jsonb) AS r(unique_id text, name text, resource_type text, status text, started_at timestamptz,
            finished_at timestamptz, duration_seconds double precision, rows_affected bigint, failures bigint, message text,
            attached_to text, depends_on jsonb, relation text, calls bigint, exec_ms double precision, shared_blks_read bigint, shared_blks_hit bigint)
     ON CONFLICT DO NOTHING`,
    [e.workflowId, e.runId, e.pipeline, e.runDate, e.step, e.attempt, JSON.stringify(rows)],
  );
  return rowCount ?? 0;
}
