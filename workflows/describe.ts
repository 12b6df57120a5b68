// How a run's progress reads to a person: the same words in `run --wait`, `backfill --wait`,
// `status` and the SLA alert. Pure functions: safe in workflow code and in clients.
import type { DbtDailyRunProgress } from './types';

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

export function describeProgress(p: DbtDailyRunProgress, nowMs: number): string {
  const s = sinceText(p.stepSince, nowMs);
  switch (p.step) {
    case 'waiting-for-flink':
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
