// A run date's lineage: the jobs (dbt models and seeds) and datasets (sources, the tables the
// models write) of the newest run of the date, each with its state, built from the per-model
// record (orchestrator.model_runs, model_freshness, freshness_misses). Pure: the rows come in,
// the graph comes out; `roas lineage` reads the rows and prints what this returns.

/** A run of the ledger (orchestrator.pipeline_runs) the graph is drawn from. */
export interface LineageRun {
  pipeline: string;
  workflowId: string;
  runId: string;
  status: string;
  trigger: string;
  startedAt: string;
  finishedAt: string | null;
  attempts: number;
}

/** A row of orchestrator.model_runs, as read. */
export interface ModelRunRow {
  pipeline: string;
  step: string;
  attempt: number;
  uniqueId: string;
  name: string;
  resourceType: string;
  status: string;
  durationSeconds: number;
  rowsAffected: number | null;
  failures: number | null;
  message: string | null;
  attachedTo: string | null;
  dependsOn: string[];
  relation: string | null;
  calls: number | null;
  execMs: number | null;
  sharedBlksRead: number | null;
  sharedBlksHit: number | null;
  recordedAt: string;
}

/** A publish of a model (orchestrator.model_freshness), and a promise missed (freshness_misses). */
export interface PublishRow {
  model: string;
  publishedAt: string;
  workflowId: string;
  freshnessSeconds: number;
  promise: string | null;
  promiseSeconds: number | null;
  met: boolean | null;
}
export interface MissRow {
  model: string;
  promise: string;
  kind: 'late' | 'missing';
  detail: string;
}

export type NodeState = 'passed' | 'failed' | 'skipped' | 'not run';
export type TestState = 'passed' | 'warned' | 'failed' | 'skipped';

export interface LineageTest {
  name: string;
  state: TestState;
  /** Failing rows (warned or failed tests), when dbt counted them. */
  failures: number | null;
}

export interface Cost {
  calls: number | null;
  execMs: number | null;
  sharedBlksRead: number | null;
  sharedBlksHit: number | null;
}

export interface LineageNode {
  uniqueId: string;
  name: string;
  type: string;
  state: NodeState;
  /** How many attempts of the run ran it. */
  attempts: number;
  durationSeconds: number | null;
  rows: number | null;
  /** From pg_stat_statements; null where it was not recorded. */
  cost: Cost | null;
  message: string | null;
  tests: LineageTest[];
  /** What it reads: names of models, seeds and sources (source names as `source.table`). */
  reads: string[];
  writes: string | null;
  publish: Omit<PublishRow, 'model'> | null;
  miss: Omit<MissRow, 'model'> | null;
}

export interface LineageSource {
  uniqueId: string;
  name: string;
  readBy: string[];
}

export interface Lineage {
  date: string;
  runs: LineageRun[];
  sources: LineageSource[];
  /** Models and seeds in dependency order: everything a node reads comes before it. */
  nodes: LineageNode[];
}

const MODEL_STATE: Record<string, NodeState> = { success: 'passed', pass: 'passed', error: 'failed', fail: 'failed', skipped: 'skipped' };
const TEST_STATE: Record<string, TestState> = { pass: 'passed', success: 'passed', warn: 'warned', fail: 'failed', error: 'failed', skipped: 'skipped' };

/** A dbt unique_id as people read it: model.proj.name → name, source.proj.realtime.ad_events → realtime.ad_events. */
export function shortName(uniqueId: string): string {
  const parts = uniqueId.split('.');
  if (parts[0] === 'source' && parts.length >= 4) return parts.slice(2).join('.');
  // A dbt function a model calls (analytics.roas): read as a call, not as a table.
  if (parts[0] === 'function' && parts.length >= 3) return `${parts[2]}()`;
  return parts.length >= 3 ? parts[2]! : uniqueId;
}

/** The row that stands for a node in a run: its latest attempt (then the latest recorded). */
function latestRows(rows: ModelRunRow[]): Map<string, { row: ModelRunRow; attempts: Set<string> }> {
  const out = new Map<string, { row: ModelRunRow; attempts: Set<string> }>();
  for (const r of rows) {
    const seen = out.get(r.uniqueId);
    const key = `${r.pipeline}/${r.step}/${r.attempt}`;
    if (!seen) {
      out.set(r.uniqueId, { row: r, attempts: new Set([key]) });
      continue;
    }
    seen.attempts.add(key);
    if (r.attempt > seen.row.attempt || (r.attempt === seen.row.attempt && r.recordedAt > seen.row.recordedAt)) seen.row = r;
  }
  return out;
}

/** Names in dependency order (Kahn's algorithm, ties by name); a cycle's members come last, by name. */
export function dependencyOrder(ids: string[], reads: (id: string) => string[]): string[] {
  const set = new Set(ids);
  const pending = new Map(ids.map((id) => [id, new Set(reads(id).filter((d) => set.has(d) && d !== id))]));
  const order: string[] = [];
  while (pending.size) {
    const ready = [...pending].filter(([, deps]) => deps.size === 0).map(([id]) => id).sort((a, b) => shortName(a).localeCompare(shortName(b)));
    if (!ready.length) {
      order.push(...[...pending.keys()].sort((a, b) => shortName(a).localeCompare(shortName(b))));
      break;
    }
    for (const id of ready) {
      order.push(id);
      pending.delete(id);
      for (const deps of pending.values()) deps.delete(id);
    }
  }
  return order;
}

const costOf = (r: ModelRunRow): Cost | null =>
  r.calls === null && r.execMs === null && r.sharedBlksRead === null && r.sharedBlksHit === null
    ? null
    : { calls: r.calls, execMs: r.execMs, sharedBlksRead: r.sharedBlksRead, sharedBlksHit: r.sharedBlksHit };

/** The graph of one date from its runs' rows: sources, then models and seeds in dependency order. */
export function buildLineage(date: string, runs: LineageRun[], rows: ModelRunRow[], publishes: PublishRow[] = [], misses: MissRow[] = []): Lineage {
  const latest = latestRows(rows);
  const isJob = (type: string) => type === 'model' || type === 'seed' || type === 'snapshot';
  const jobs = [...latest.values()].filter((n) => isJob(n.row.resourceType));
  const jobIds = new Set(jobs.map((j) => j.row.uniqueId));
  // A model or seed another node reads but no attempt ran: shown, as not run.
  const unrun = new Set<string>();
  const sources = new Map<string, Set<string>>();
  for (const { row } of latest.values()) {
    for (const dep of row.dependsOn) {
      if (dep.startsWith('source.')) {
        if (isJob(row.resourceType)) sources.set(dep, (sources.get(dep) ?? new Set()).add(row.name));
        else if (!sources.has(dep)) sources.set(dep, new Set());
      } else if (!jobIds.has(dep) && /^(model|seed|snapshot)\./.test(dep)) unrun.add(dep);
    }
  }
  const tests = new Map<string, LineageTest[]>();
  for (const { row } of latest.values()) {
    if (row.resourceType !== 'test' || !row.attachedTo) continue;
    const state = TEST_STATE[row.status] ?? 'failed';
    const list = tests.get(row.attachedTo) ?? [];
    list.push({ name: row.name, state, failures: state === 'warned' || state === 'failed' ? row.failures : null });
    tests.set(row.attachedTo, list);
  }
  const newestPublish = new Map<string, PublishRow>();
  for (const p of publishes) if (!newestPublish.has(p.model) || newestPublish.get(p.model)!.publishedAt < p.publishedAt) newestPublish.set(p.model, p);
  const missOf = new Map(misses.map((m) => [m.model, m]));
  const readsOf = (id: string) => latest.get(id)?.row.dependsOn ?? [];
  const order = dependencyOrder([...jobIds, ...unrun], readsOf);
  const nodes = order.map((id): LineageNode => {
    const seen = latest.get(id);
    const name = seen?.row.name ?? shortName(id);
    const p = newestPublish.get(name);
    const m = missOf.get(name);
    const r = seen?.row;
    return {
      uniqueId: id,
      name,
      type: r?.resourceType ?? id.split('.')[0]!,
      state: r ? (MODEL_STATE[r.status] ?? 'failed') : 'not run',
      attempts: seen?.attempts.size ?? 0,
      durationSeconds: r ? r.durationSeconds : null,
      rows: r?.rowsAffected ?? null,
      cost: r ? costOf(r) : null,
      message: r && MODEL_STATE[r.status] !== 'passed' ? r.message : null,
      tests: (tests.get(id) ?? []).sort((a, b) => a.name.localeCompare(b.name)),
      reads: readsOf(id).map(shortName),
      writes: r?.relation ?? null,
      publish: p ? { publishedAt: p.publishedAt, workflowId: p.workflowId, freshnessSeconds: p.freshnessSeconds, promise: p.promise, promiseSeconds: p.promiseSeconds, met: p.met } : null,
      miss: m ? { promise: m.promise, kind: m.kind, detail: m.detail } : null,
    };
  });
  const sourceList = [...sources]
    .map(([id, readers]) => ({ uniqueId: id, name: shortName(id), readBy: [...readers].sort() }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { date, runs, sources: sourceList, nodes };
}
