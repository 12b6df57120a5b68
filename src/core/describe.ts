// How a run's progress reads to a person: the same words in `run --wait`, `backfill --wait`,
// `status` and the SLA alert. Pure functions: safe in workflow code and in clients.
import type { DbtDailyRunProgress, DbtFailureDetails, DbtNodeSummary } from './types';

function elapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** " (since 00:00 UTC, 12 min)" for a step that started at `since`; empty when unknown. */
function sinceText(since: string | undefined, nowMs: number): string {
  if (!since) return '';
  return `since ${since.slice(11, 16)} UTC, ${elapsed(nowMs - Date.parse(since))}`;
}

/** What a run waiting at its Flink gate waits for, and what to do if Flink already finished. */
export function flinkWaitText(runDate: string, since: string | undefined, nowMs: number): string {
  const s = sinceText(since, nowMs);
  return `waiting for Flink to report ${runDate} complete (${s ? `${s}; ` : ''}if it is complete: roas flink-complete --date ${runDate})`;
}

const hhmm = (iso: string) => `${iso.slice(11, 16)} UTC`;

/**
 * How a step's previous attempt ended and when the next one ran or will: "attempt 1 lost (worker
 * gone), retried at 12:41 UTC". Empty when the step is on its first attempt.
 */
export function lastAttemptText(p: Pick<DbtDailyRunProgress, 'lastAttempt'>, nowMs: number): string {
  const a = p.lastAttempt;
  if (!a) return '';
  const how = a.lost ? `attempt ${a.attempt} lost (worker gone)` : `attempt ${a.attempt} failed (${a.failure ?? 'no message'})`;
  if (a.retriedAt) return `${how}, retried at ${hhmm(a.retriedAt)}`;
  if (!a.retryAt) return how;
  return Date.parse(a.retryAt) > nowMs ? `${how}, retry at ${hhmm(a.retryAt)}` : `${how}, retry due since ${hhmm(a.retryAt)} (waiting for a worker)`;
}

export function describeProgress(p: DbtDailyRunProgress, nowMs: number): string {
  const last = lastAttemptText(p, nowMs);
  const now = stepText(p, nowMs);
  return last ? `${now}; ${last}` : now;
}

function stepText(p: DbtDailyRunProgress, nowMs: number): string {
  const s = sinceText(p.stepSince, nowMs);
  switch (p.step) {
    case 'waiting-for-flink':
      // Only a gate that has looked and found no marker waits for Flink; before that it is still
      // looking, and once open the run moves on to dbt.
      if (p.flinkGate === 'checking') return `looking for Flink's marker of ${p.runDate}${s ? ` (${s})` : ''}`;
      if (p.flinkGate === 'open') return `Flink reported ${p.runDate} complete; starting dbt`;
      return flinkWaitText(p.runDate, p.stepSince, nowMs);
    case 'waiting-for-dbt-run':
      return `waiting for the dbt run of ${p.runDate} to succeed${s ? ` (${s})` : ''}`;
    case 'dbt-run':
    case 'dbt-test':
    case 'dbt-build': {
      const nodes = p.nodesTotal ? `, ${p.nodesDone}/${p.nodesTotal} nodes done` : '';
      return `${p.step.replace('-', ' ')}${nodes}${p.attempt > 1 ? `, attempt ${p.attempt}` : ''}`;
    }
    default:
      return p.step;
  }
}

/**
 * The line of a dbt message that says what went wrong. dbt's errors begin "Database Error in
 * model X (path)", which the node's name already says, and put the cause on the next line.
 */
export function causeOf(message: string): string {
  const lines = message.split('\n').map((l) => l.trim()).filter(Boolean);
  const head = lines[0] ?? '';
  const kind = /^(\w+ Error) in \S+ \S+ \(.*\)$/.exec(head)?.[1];
  const cause = lines[1];
  return kind && cause && !cause.startsWith('compiled code at') ? `${kind}: ${cause}` : head;
}

/** A word of a command line as a person pastes it into a POSIX shell: quoted only when it must be. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

/**
 * The command that runs dbt by hand exactly as the worker ran it for a date (`roas dbt`: the
 * same dbt, project, server, login, role and run date, its own target path): what an alert
 * prints to reproduce a failed step.
 */
export function dbtByHandCommand(runDate: string, dbtArgs: readonly string[]): string {
  return ['roas', 'dbt', '--date', runDate, '--', ...dbtArgs].map(shellQuote).join(' ');
}

/** A failing node in an alert or on a terminal: name, status, failing rows, first line of its message. */
export function nodeLine(n: DbtNodeSummary): string {
  const rows = n.resourceType === 'test' && n.failures !== null ? ` (${n.failures} failing rows)` : '';
  return `• ${n.name} [${n.status}]${rows}: ${causeOf(n.message ?? n.status).slice(0, 300)}`;
}

/** An alert lists at most this many failing nodes, one line each. */
export const ALERT_NODE_LINES = 15;

/** The line that stands for the failing nodes an alert does not list one by one. */
export function moreFailingNodesLine(count: number): string {
  return `… and ${count} more failing nodes.`;
}

/** Whether a line of an alert is the one moreFailingNodesLine wrote. */
export function isMoreFailingNodesLine(line: string): boolean {
  return /^… and \d+ more failing nodes\.$/.test(line);
}

/** What a failed dbt step says: its type, its failing nodes, how to reproduce it, where its artifacts are. */
export function dbtFailureLines(type: string, details: DbtFailureDetails, retries: 'retried' | 'not-retryable' | 'run-once'): string[] {
  const note =
    retries === 'retried' ? `, after ${details.attempt} attempts` : retries === 'not-retryable' ? ', not retried (a retry cannot fix it)' : ' (run once, without retries)';
  const lines = [`Step: dbt ${details.step}. Failure type: ${type}${note}.`];
  const listed = details.failingNodes.slice(0, ALERT_NODE_LINES);
  for (const n of listed) lines.push(nodeLine(n));
  const total = Math.max(details.failingNodeCount ?? 0, details.failingNodes.length);
  if (total > listed.length) lines.push(moreFailingNodesLine(total - listed.length));
  if (!details.failingNodes.length) lines.push(details.summary);
  lines.push(`Reproduce locally: ${details.reproduce}`);
  lines.push(`Artifacts (run_results.json, dbt.log): ${details.targetPath}`);
  return lines;
}
