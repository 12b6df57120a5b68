// What each dbt node's statements cost, from pg_stat_statements: a snapshot of its counters when
// a dbt step starts and their difference when it finishes, attributed to nodes by the comment
// dbt puts on every statement it runs for a node (/* {"app": "dbt", …, "node_id": "model.…"} */).
import pg from 'pg';

export interface NodeCost {
  calls: number;
  execMs: number;
  sharedBlksRead: number;
  sharedBlksHit: number;
}

/** Counters per pg_stat_statements entry (user, database, query id, top level), with the node its text names. */
export type StatementSnapshot = Map<string, NodeCost & { nodeId: string }>;

/** Where pg_stat_statements can be read, or why it cannot. */
export type StatementsSource = { schema: string } | { unavailable: string };

/** Whether this role can read every session's statements from pg_stat_statements in this database. */
export async function statementsSource(pool: pg.Pool): Promise<StatementsSource> {
  const { rows } = await pool.query<{ schema: string | null; all_stats: boolean; role: string }>(
    `SELECT current_user AS role,
            (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements') AS schema,
            pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS all_stats`,
  );
  const r = rows[0]!;
  if (!r.schema) return { unavailable: 'the pg_stat_statements extension is not created in this database: run CREATE EXTENSION pg_stat_statements as its owner (the migrations do when the server has it)' };
  if (!r.all_stats) return { unavailable: `the role ${r.role} cannot read other sessions' statements: GRANT pg_read_all_stats TO ${r.role} (the migrations do when the owner may)` };
  return { schema: r.schema };
}

/** Why a snapshot failed, when it is the server's setup rather than a passing error. */
export function setupProblem(err: unknown): string | undefined {
  // 55000: the extension exists but the server was started without the library.
  if ((err as { code?: string }).code === '55000') {
    return "PostgreSQL does not load pg_stat_statements: add shared_preload_libraries = 'pg_stat_statements' to its settings and restart it";
  }
  return undefined;
}

/** The counters of every statement in this database whose text names a dbt node. */
export async function snapshotStatements(pool: pg.Pool, schema: string): Promise<StatementSnapshot> {
  const { rows } = await pool.query<{ key: string; node_id: string; calls: string; exec_ms: number; blks_read: string; blks_hit: string }>(
    `SELECT concat_ws(':', userid, dbid, queryid, toplevel) AS key,
            substring(query from '"node_id":\\s*"([^"]+)"') AS node_id,
            calls, total_exec_time AS exec_ms, shared_blks_read AS blks_read, shared_blks_hit AS blks_hit
       FROM ${pg.escapeIdentifier(schema)}.pg_stat_statements(true)
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND query LIKE '%"node\\_id":%'`,
  );
  const snapshot: StatementSnapshot = new Map();
  for (const r of rows) {
    if (!r.node_id) continue;
    snapshot.set(r.key, { nodeId: r.node_id, calls: Number(r.calls), execMs: r.exec_ms, sharedBlksRead: Number(r.blks_read), sharedBlksHit: Number(r.blks_hit) });
  }
  return snapshot;
}

/**
 * What each node's statements cost between two snapshots. An entry new since the first counts
 * from zero; one that shrank (reset, or evicted and made again) counts what the second holds.
 */
export function costsBetween(before: StatementSnapshot, after: StatementSnapshot): Map<string, NodeCost> {
  const costs = new Map<string, NodeCost>();
  for (const [key, now] of after) {
    const then = before.get(key);
    const base = then && then.calls <= now.calls ? then : undefined;
    const calls = now.calls - (base?.calls ?? 0);
    if (calls <= 0) continue;
    const c = costs.get(now.nodeId) ?? { calls: 0, execMs: 0, sharedBlksRead: 0, sharedBlksHit: 0 };
    c.calls += calls;
    c.execMs += now.execMs - (base?.execMs ?? 0);
    c.sharedBlksRead += now.sharedBlksRead - (base?.sharedBlksRead ?? 0);
    c.sharedBlksHit += now.sharedBlksHit - (base?.sharedBlksHit ?? 0);
    costs.set(now.nodeId, c);
  }
  return costs;
}
