// Backfill: a pipeline for every date of a range, in date order, at most `concurrency` at a
// time (R12). Each date runs under its business ID, so a date already running (a schedule, a
// manual trigger, another backfill) is waited for, never run twice; a date that already
// succeeded is skipped by the pipeline itself unless forced.
import {
  ChildWorkflowFailure,
  defineQuery,
  executeChild,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { dailyEtl } from './daily-etl';
import { dbtDailyRun } from './dbt-daily-run';
import { workflowIds } from './signals';
import type { DailyEtlInput, DbtDailyRunInput } from './types';

const { awaitWorkflow } = proxyActivities<Activities>({
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 5 },
});

export interface BackfillInput {
  pipeline: 'dbt' | 'etl';
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

export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}

export async function backfill(input: BackfillInput): Promise<BackfillDateResult[]> {
  const dates = datesBetween(input.from, input.to);
  const results: BackfillDateResult[] = [];
  const running = new Set<string>();
  setHandler(backfillProgressQuery, () => ({ total: dates.length, done: results.length, running: [...running], results }));

  const runOne = async (runDate: string): Promise<BackfillDateResult> => {
    const workflowId = input.pipeline === 'etl' ? workflowIds.dailyEtl(runDate) : workflowIds.dbtDailyRun(runDate);
    const args = { ...input.settings, runDate, force: input.force ?? false, trigger: 'backfill' as const };
    try {
      const r =
        input.pipeline === 'etl'
          ? await executeChild(dailyEtl, { workflowId, args: [args], parentClosePolicy: ParentClosePolicy.ABANDON })
          : await executeChild(dbtDailyRun, { workflowId, args: [args], parentClosePolicy: ParentClosePolicy.ABANDON });
      return { runDate, status: r.status, detail: r.status === 'skipped' ? (r.reason ?? 'already succeeded') : `${workflowId} succeeded` };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // Someone else is running this date: wait for that run instead of starting another.
        try {
          await awaitWorkflow(workflowId);
          return { runDate, status: 'joined', detail: `${workflowId} was already running; it succeeded` };
        } catch (e) {
          return { runDate, status: 'failed', detail: `${workflowId} was already running and failed: ${(e as Error).message}` };
        }
      }
      if (err instanceof ChildWorkflowFailure) {
        return { runDate, status: 'failed', detail: `${workflowId} failed: ${err.cause?.message ?? err.message}` };
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
