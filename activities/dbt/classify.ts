import {
  DBT_COMPILATION_ERROR,
  DBT_CONNECTION_ERROR,
  DBT_PROCESS_KILLED,
  DBT_TIMEOUT_ERROR,
} from '../../src/core/failure-types';
import type { DbtProcessResult } from './runner';

const CONNECTION =
  /could not connect|connection refused|connection test: \[error|server closed the connection|could not translate host name|connection timed out|timeout expired|terminating connection|the database system is (starting up|shutting down)|connection (already )?closed|SSL SYSCALL error/i;
// Also two dbt processes creating the same table at once (the first run of two dates at once
// on a new database, e.g. a seed table): the loser fails, its retry finds the table made.
const TIMEOUT =
  /lock timeout|deadlock detected|canceling statement due to (statement|lock) timeout|could not obtain lock|relation "[^"]+" already exists|duplicate key value violates unique constraint "pg_(type_typname|class_relname)_nsp_index"|tuple concurrently updated/i;

/** Which failure class a failed dbt process belongs to, from what it printed. */
export function classifyDbtFailure(result: DbtProcessResult): string {
  const text = [...result.notable.map((e) => e.msg), result.rawOutput].join('\n');
  if (CONNECTION.test(text)) return DBT_CONNECTION_ERROR;
  if (TIMEOUT.test(text)) return DBT_TIMEOUT_ERROR;
  // Killed mid-run (the kernel's out-of-memory killer, an operator's kill): nothing in what it
  // printed says the project or the data is wrong, so another attempt may well finish.
  if (result.exitCode === -1 && !result.cancelled) return DBT_PROCESS_KILLED;
  return DBT_COMPILATION_ERROR;
}

/** The lines worth showing a person: dbt's errors, or the tail of its raw output. */
export function failureSummary(result: DbtProcessResult, maxLines = 12): string {
  const errors = result.notable.filter((e) => e.level === 'error' || /ERROR/.test(e.msg)).map((e) => e.msg.trim());
  const lines = errors.length ? errors : result.rawOutput.trim().split('\n');
  return lines.filter(Boolean).slice(-maxLines).join('\n');
}
