// Backfill: a pipeline for every date of a range, in date order, at most `concurrency` at a
// time. Each date runs under its business ID, so a date already running (a schedule, a
// manual trigger, another backfill) is waited for, never run twice; a date that already
// succeeded is skipped by the pipeline itself unless forced.
import { ActivityFailure, ChildWorkflowFailure, defineQuery, setHandler } from '@temporalio/workflow';
import { daysBetween } from '../src/core/dates';
import type { PipelineKey } from '../src/core/pipelines';
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
}

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

export async function backfill(input: BackfillInput): Promise<BackfillDateResult[]> {
  const dates = daysBetween(input.from, input.to);
  const results: BackfillDateResult[] = [];
  const running = new Set<string>();
  setHandler(backfillProgressQuery, () => ({ total: dates.length, done: results.length, running: [...running], results }));

  const runOne = async (runDate: string): Promise<BackfillDateResult> => {
    const args = { ...input.settings, runDate, force: input.force ?? false, trigger: 'backfill' as const };
    try {
      const run = input.pipeline === 'etl' ? await runOrJoin('etl', args) : await runOrJoin('dbt', args);
      if (run.joined) return { runDate, status: 'joined', detail: `${run.workflowId} was already running; it succeeded` };
      const r = run.result;
      return { runDate, status: r.status, detail: r.status === 'skipped' ? (r.reason ?? 'already succeeded') : `${run.workflowId} succeeded` };
    } catch (err) {
      // The date's run failed (ours, or the one we joined): report it and go on with the others.
      if (err instanceof ChildWorkflowFailure || err instanceof ActivityFailure) {
        return { runDate, status: 'failed', detail: `${runDate} failed: ${err.cause?.message ?? err.message}` };
      }
      throw err;
    }
  };

  let next = 0;
  const lane = async () => {
    while (next < dates.length) {
      const runDate = dates[next++]!;
      running.add(runDate);
      const r = await runOne(runDate);
      running.delete(runDate);
      results.push(r);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(input.concurrency ?? 2, dates.length)) }, lane));
  return results.sort((a, b) => a.runDate.localeCompare(b.runDate));
}
