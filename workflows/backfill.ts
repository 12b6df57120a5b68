// Backfill: a pipeline for every date of a range, in date order, at most `concurrency` at a
// time. Each date runs under its business ID, so a date already running (a schedule, a
// manual trigger, another backfill) is waited for, never run twice; a date that already
// succeeded is skipped by the pipeline itself unless forced.
import { ActivityFailure, CancellationScope, ChildWorkflowFailure, continueAsNew, defineQuery, setHandler, workflowInfo } from '@temporalio/workflow';
import { daysBetween } from '../src/core/dates';
import type { PipelineKey } from '../src/core/pipelines';
import { rootMessage } from './input';
import { runOrJoin } from './run-or-join';
import type { DailyEtlInput, DbtDailyRunInput } from '../src/core/types';

export interface BackfillInput {
  pipeline: PipelineKey;
  from: string;
  to: string;
  concurrency?: number;
  force?: boolean;
  /** Settings passed on to each run (retries, SLA, links). */
  settings?: Omit<DbtDailyRunInput, 'runDate'> & Omit<DailyEtlInput, 'runDate'>;
  /** Dates one run of the backfill starts before it continues as a new run (default 100). */
  maxDatesPerRun?: number;
  /** What the earlier runs of this backfill (before it continued as new) reported. */
  done?: BackfillDateResult[];
}

export const DEFAULT_MAX_DATES_PER_RUN = 100;

export interface BackfillDateResult {
  runDate: string;
  status: 'succeeded' | 'skipped' | 'failed' | 'joined';
  detail: string;
}

export interface BackfillProgress {
  total: number;
  done: number;
  running: string[];
  results: BackfillDateResult[];
}

export const backfillProgressQuery = defineQuery<BackfillProgress>('backfillProgress');

/**
 * Each run of a backfill keeps in its history only what it reports (one line per date) and the
 * children's short results; past `maxDatesPerRun` dates, or when Temporal suggests it, it waits
 * for the dates it started and continues as a new run of the same workflow ID with the rest,
 * carrying the lines so far. `roas backfill --wait` and the Web UI follow it across runs.
 */
export async function backfill(input: BackfillInput): Promise<BackfillDateResult[]> {
  const dates = daysBetween(input.from, input.to);
  const results: BackfillDateResult[] = [...(input.done ?? [])];
  const total = results.length + dates.length;
  const running = new Set<string>();
  setHandler(backfillProgressQuery, () => ({ total, done: results.length, running: [...running], results }));
  const limit = Math.max(1, input.maxDatesPerRun ?? DEFAULT_MAX_DATES_PER_RUN);
  const mayStartMore = () => next < dates.length && next < limit && !(next > 0 && workflowInfo().continueAsNewSuggested);

  const runOne = async (runDate: string): Promise<BackfillDateResult> => {
    const args = { ...input.settings, runDate, force: input.force ?? false, trigger: 'backfill' as const };
    try {
      // The dates a backfill started are its own: cancelling or terminating the backfill cancels them.
      const own = { cancelWithParent: true };
      const run = input.pipeline === 'etl' ? await runOrJoin('etl', args, own) : await runOrJoin('dbt', args, own);
      if (run.joined) return { runDate, status: 'joined', detail: `${run.workflowId} was already running; it succeeded` };
      const r = run.result;
      return { runDate, status: r.status, detail: r.status === 'skipped' ? (r.reason ?? 'already succeeded') : `${run.workflowId} succeeded` };
    } catch (err) {
      // The date's run failed (ours, or the one we joined): report it and go on with the others.
      // A backfill being cancelled ends here: its running dates are cancelled with it.
      if (CancellationScope.current().consideredCancelled) throw err;
      if (err instanceof ChildWorkflowFailure || err instanceof ActivityFailure) {
        return { runDate, status: 'failed', detail: `${runDate} failed: ${rootMessage(err)}` };
      }
      throw err;
    }
  };

  let next = 0;
  const lane = async () => {
    while (mayStartMore()) {
      const runDate = dates[next++]!;
      running.add(runDate);
      const r = await runOne(runDate);
      running.delete(runDate);
      results.push(r);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(input.concurrency ?? 2, dates.length)) }, lane));
  if (next < dates.length) {
    return continueAsNew<typeof backfill>({ ...input, from: dates[next]!, done: results });
  }
  return results.sort((a, b) => a.runDate.localeCompare(b.runDate));
}
