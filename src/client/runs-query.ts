// `roas runs` filters as a Temporal visibility query over the runs' search attributes: the same
// text works in the Web UI's search box and with `temporal workflow list --query`.
import { addDays } from '../core/dates';
import { UsageError } from '../core/errors';
import { PIPELINE_NAMES } from '../core/pipelines';

export const RUN_STATUSES = ['succeeded', 'failed', 'running', 'cancelled', 'skipped', 'timed-out'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunsFilter {
  status?: RunStatus;
  /** First and last run date, YYYY-MM-DD, inclusive. */
  from?: string;
  to?: string;
  /** Ledger pipeline names: dbt_daily_run, daily_etl. */
  pipeline?: string;
  trigger?: string;
}

const STATUS_CLAUSE: Record<RunStatus, string> = {
  succeeded: 'ExecutionStatus = "Completed" AND `RunStep` = "succeeded"',
  skipped: 'ExecutionStatus = "Completed" AND `RunStep` = "skipped"',
  failed: 'ExecutionStatus = "Failed"',
  running: 'ExecutionStatus = "Running"',
  cancelled: 'ExecutionStatus = "Canceled"',
  'timed-out': 'ExecutionStatus = "TimedOut"',
};

/**
 * The visibility query for these filters; every value comes from a fixed list or a checked date.
 * The project's own search attributes are quoted with backticks: `Trigger` is a reserved word of
 * the visibility query language, and quoting every name keeps the next one from biting.
 */
export function runsQuery(filter: RunsFilter): string {
  const clauses = [filter.pipeline ? `\`Pipeline\` = "${checkedWord(filter.pipeline)}"` : `\`Pipeline\` IN (${PIPELINE_NAMES.map((n) => `"${n}"`).join(', ')})`];
  if (filter.from) clauses.push(`\`RunDate\` >= "${checkedDate(filter.from)}T00:00:00Z"`);
  // Before the next day, not "<=" the day: a server may keep the datetime in another form, and
  // equality on it does not hold everywhere.
  if (filter.to) clauses.push(`\`RunDate\` < "${addDays(checkedDate(filter.to), 1)}T00:00:00Z"`);
  if (filter.trigger) clauses.push(`\`Trigger\` = "${checkedWord(filter.trigger)}"`);
  if (filter.status) clauses.push(STATUS_CLAUSE[filter.status]);
  return clauses.join(' AND ');
}

function checkedDate(date: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new UsageError(`"${date}" is not a date: write it as YYYY-MM-DD`);
  return date;
}

function checkedWord(word: string): string {
  if (!/^[a-z_]+$/.test(word)) throw new UsageError(`"${word}" is not a pipeline or trigger name`);
  return word;
}
