// One model's page (/models/<name>): its record over a window of run dates, read from the
// per-model record (orchestrator.model_runs, model_freshness, freshness_misses) in the caller's
// READ ONLY transaction. Every query is parameterised and bounded by the window and a LIMIT.
import type pg from 'pg';
import { daysBetween } from '../../core/dates';
import { shortName, type NodeState, type TestState } from '../../core/lineage';

export interface ModelDay {
  date: string;
  /** The model's newest row of the day (the newest run's last attempt), or null: it did not run. */
  state: NodeState | null;
  status: string | null;
  durationSeconds: number | null;
  rows: number | null;
  calls: number | null;
  execMs: number | null;
  sharedBlksRead: number | null;
  sharedBlksHit: number | null;
  workflowId: string | null;
  runId: string | null;
  message: string | null;
  publish: { publishedAt: string; freshnessSeconds: number; promise: string | null; promiseSeconds: number | null; met: boolean | null } | null;
  miss: { kind: string; promise: string; detail: string } | null;
}

export interface ModelTestHistory {
  name: string;
  /** Per day of the window: the test's state and failing rows, null where it did not run. */
  days: ({ state: TestState; failures: number | null } | null)[];
}

export interface ModelHistory {
  name: string;
  uniqueId: string;
  type: string;
  /** What it reads: models, seeds (each has a page) and sources. */
  reads: { name: string; type: string }[];
  writes: string | null;
  readBy: string[];
  window: { start: string; end: string; days: number; dates: string[] };
  days: ModelDay[];
  tests: ModelTestHistory[];
  generatedAt: string;
}

const STATE: Record<string, NodeState> = { success: 'passed', pass: 'passed', error: 'failed', fail: 'failed', skipped: 'skipped' };
const TEST: Record<string, TestState> = { pass: 'passed', success: 'passed', warn: 'warned', fail: 'failed', error: 'failed', skipped: 'skipped' };
const JOB_TYPES = ['model', 'seed', 'snapshot'];

/** The model's record over the window; undefined when the record has never seen a model or seed of that name. */
export async function queryModelHistory(c: pg.ClientBase, name: string, win: { start: string; end: string; days: number }, now: Date): Promise<ModelHistory | undefined> {
  const { rows: known } = await c.query<{ unique_id: string; resource_type: string; depends_on: string[]; relation: string | null }>(
    `SELECT unique_id, resource_type, depends_on, relation FROM orchestrator.model_runs
      WHERE name = $1 AND resource_type = ANY($2) ORDER BY run_date DESC, recorded_at DESC LIMIT 1`,
    [name, JOB_TYPES],
  );
  const { rows: published } = known.length ? { rows: [] } : await c.query('SELECT 1 FROM orchestrator.model_freshness WHERE model = $1 LIMIT 1', [name]);
  if (!known.length && !published.length) return undefined;
  const latest = known[0];
  const uniqueId = latest?.unique_id ?? `model.${name}`;
  const dates = daysBetween(win.start, win.end);
  const range = [win.start, win.end];
  const { rows: runs } = await c.query<RunRow>(
    `SELECT DISTINCT ON (run_date) run_date::text AS date, status, duration_seconds AS "durationSeconds", rows_affected::float8 AS rows, calls::float8 AS calls,
            exec_ms AS "execMs", shared_blks_read::float8 AS "sharedBlksRead", shared_blks_hit::float8 AS "sharedBlksHit", workflow_id AS "workflowId", run_id AS "runId", message
       FROM orchestrator.model_runs WHERE name = $1 AND resource_type = ANY($2) AND run_date BETWEEN $3 AND $4
      ORDER BY run_date, recorded_at DESC, attempt DESC LIMIT 400`,
    [name, JOB_TYPES, ...range],
  );
  const { rows: tests } = await c.query<TestRow>(
    `SELECT DISTINCT ON (run_date, name) run_date::text AS date, name, status, failures::float8 AS failures
       FROM orchestrator.model_runs WHERE resource_type = 'test' AND attached_to = $1 AND run_date BETWEEN $2 AND $3
      ORDER BY run_date, name, recorded_at DESC, attempt DESC LIMIT 10000`,
    [uniqueId, ...range],
  );
  const { rows: readers } = await c.query<{ name: string }>(
    `SELECT DISTINCT name FROM orchestrator.model_runs WHERE $1 = ANY(depends_on) AND resource_type = ANY($2) AND run_date BETWEEN $3 AND $4 ORDER BY name LIMIT 200`,
    [uniqueId, JOB_TYPES, ...range],
  );
  const { rows: fresh } = await c.query<FreshRow>(
    `SELECT DISTINCT ON (run_date) run_date::text AS date, to_json(published_at) #>> '{}' AS "publishedAt", freshness_seconds AS "freshnessSeconds",
            promise, promise_seconds AS "promiseSeconds", met
       FROM orchestrator.model_freshness WHERE model = $1 AND run_date BETWEEN $2 AND $3 ORDER BY run_date, published_at DESC LIMIT 400`,
    [name, ...range],
  );
  const { rows: misses } = await c.query<MissRow>(
    'SELECT run_date::text AS date, kind, promise, detail FROM orchestrator.freshness_misses WHERE model = $1 AND run_date BETWEEN $2 AND $3 LIMIT 400',
    [name, ...range],
  );
  const { days, tests: testHistory } = assemble(dates, runs, tests, fresh, misses);
  return {
    name,
    uniqueId,
    type: latest?.resource_type ?? 'model',
    reads: (latest?.depends_on ?? []).map((id) => ({ name: shortName(id), type: id.split('.')[0]! })),
    writes: latest?.relation ?? null,
    readBy: readers.map((r) => r.name),
    window: { ...win, dates },
    days,
    tests: testHistory,
    generatedAt: now.toISOString(),
  };
}

type RunRow = Omit<ModelDay, 'state' | 'publish' | 'miss'>;
type TestRow = { date: string; name: string; status: string; failures: number | null };
type FreshRow = NonNullable<ModelDay['publish']> & { date: string };
type MissRow = NonNullable<ModelDay['miss']> & { date: string };

/** The window's days and test history from the rows of the queries. */
function assemble(dates: string[], runs: RunRow[], tests: TestRow[], fresh: FreshRow[], misses: MissRow[]): { days: ModelDay[]; tests: ModelTestHistory[] } {
  const byDate = <T extends { date: string }>(rows: T[]) => new Map(rows.map((r) => [r.date, r]));
  const [runOf, freshOf, missOf] = [byDate(runs), byDate(fresh), byDate(misses)];
  const days = dates.map((date): ModelDay => {
    const r = runOf.get(date);
    const f = freshOf.get(date);
    const m = missOf.get(date);
    const state = r ? (STATE[r.status ?? ''] ?? 'failed') : null;
    const empty = { status: null, durationSeconds: null, rows: null, calls: null, execMs: null, sharedBlksRead: null, sharedBlksHit: null, workflowId: null, runId: null, message: null };
    return {
      ...empty,
      ...r,
      date,
      state,
      message: r && state !== 'passed' ? r.message : null,
      publish: f ? { publishedAt: f.publishedAt, freshnessSeconds: f.freshnessSeconds, promise: f.promise, promiseSeconds: f.promiseSeconds, met: f.met } : null,
      miss: m ? { kind: m.kind, promise: m.promise, detail: m.detail } : null,
    };
  });
  const testNames = [...new Set(tests.map((t) => t.name))].sort();
  const testHistory = testNames.map((t): ModelTestHistory => {
    const of = new Map(tests.filter((x) => x.name === t).map((x) => [x.date, x]));
    return {
      name: t,
      days: dates.map((d) => {
        const x = of.get(d);
        if (!x) return null;
        const state = TEST[x.status] ?? 'failed';
        return { state, failures: state === 'warned' || state === 'failed' ? x.failures : null };
      }),
    };
  });
  return { days, tests: testHistory };
}
