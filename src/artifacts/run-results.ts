// run_results.json, typed: one entry per node dbt ran, whatever happened to the run as a whole.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type DbtNodeStatus = 'success' | 'error' | 'skipped' | 'pass' | 'fail' | 'warn' | 'runtime error' | 'no-op' | 'partial success';

/** The statuses of a node that failed: an error, or a test that found rows at error severity. */
export const FAILED_STATUSES: ReadonlySet<string> = new Set(['error', 'fail', 'runtime error']);

export interface DbtNodeResult {
  uniqueId: string;
  /** model, seed, test, unit_test, snapshot… */
  resourceType: string;
  name: string;
  status: DbtNodeStatus;
  /** For tests: the number of failing rows. */
  failures: number | null;
  message: string | null;
  executionSeconds: number;
  rowsAffected: number | null;
  /** When dbt started and finished the node (its compile and execute timings), ISO 8601 UTC. */
  startedAt?: string | null;
  finishedAt?: string | null;
  /** The SQL dbt ran for it, when it compiled any. */
  compiledCode?: string | null;
}

export interface DbtRunResults {
  dbtVersion: string;
  invocationId: string;
  elapsedSeconds: number;
  vars: Record<string, unknown>;
  nodes: DbtNodeResult[];
}

interface RawResult {
  unique_id: string;
  status: string;
  failures?: number | null;
  message?: string | null;
  execution_time?: number;
  adapter_response?: { rows_affected?: number };
  timing?: { name?: string; started_at?: string | null; completed_at?: string | null }[];
  compiled_code?: string | null;
}

interface RawRunResults {
  metadata: { dbt_version: string; invocation_id: string };
  elapsed_time?: number;
  args?: { vars?: Record<string, unknown> };
  results: RawResult[];
}

/** Reads run_results.json text; throws, saying why, when it is not a whole run results file. */
export function parseRunResults(json: string): DbtRunResults {
  let raw: RawRunResults;
  try {
    raw = JSON.parse(json) as RawRunResults;
  } catch (err) {
    // dbt writes the file at the end of its run: a dbt killed while writing it leaves it cut short.
    throw new Error(`run_results.json is not whole JSON (${(err as Error).message}); was dbt stopped while writing it?`, { cause: err });
  }
  if (!raw || typeof raw !== 'object' || !Array.isArray(raw.results) || !raw.metadata || typeof raw.metadata !== 'object') {
    throw new Error('run_results.json has no metadata or results list: it is not a dbt run results file');
  }
  return {
    dbtVersion: raw.metadata.dbt_version,
    invocationId: raw.metadata.invocation_id,
    elapsedSeconds: raw.elapsed_time ?? 0,
    vars: raw.args?.vars ?? {},
    nodes: raw.results.map((r) => {
      const [resourceType = 'unknown', , ...rest] = r.unique_id.split('.');
      return {
        uniqueId: r.unique_id,
        resourceType,
        // Generic test ids end in a hash: test.project.name.hash
        name: resourceType === 'test' || resourceType === 'unit_test' ? rest.filter((p) => !/^[0-9a-f]{10}$/.test(p)).join('.') : rest.join('.'),
        status: r.status as DbtNodeStatus,
        failures: r.failures ?? null,
        message: r.message ?? null,
        executionSeconds: r.execution_time ?? 0,
        rowsAffected: r.adapter_response?.rows_affected ?? null,
        compiledCode: r.compiled_code ?? null,
        ...nodeTiming(r.timing),
      };
    }),
  };
}

/** The first start and the last finish of a node's timings (dbt leaves them empty for a skipped node). */
function nodeTiming(timing: RawResult['timing']): { startedAt: string | null; finishedAt: string | null } {
  const utc = (t: string | null | undefined) => (t ? (/[Zz]|[+-]\d\d:?\d\d$/.test(t) ? t : `${t}Z`) : undefined);
  const starts = (timing ?? []).map((t) => utc(t.started_at)).filter((t): t is string => Boolean(t)).sort();
  const ends = (timing ?? []).map((t) => utc(t.completed_at)).filter((t): t is string => Boolean(t)).sort();
  return { startedAt: starts[0] ?? null, finishedAt: ends.at(-1) ?? null };
}

/**
 * The run results a dbt invocation left in its target path, if it got far enough to write them.
 * A file dbt did not finish writing (killed mid-write) counts as not written: the step is then
 * judged by what dbt printed, and a retry is not stopped by an earlier attempt's broken file.
 */
export function readRunResults(targetPath: string): DbtRunResults | undefined {
  const file = path.join(targetPath, 'run_results.json');
  if (!existsSync(file)) return undefined;
  try {
    return parseRunResults(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
