// What the Temporal Schedules start. A schedule cannot give its workflows a business ID, so each
// firing starts a small launcher that works out the run date from the schedule's scheduled time
// (never the wall clock: catch-up and backfilled firings process the right day) and runs the
// date's pipeline under its business ID. A date already running (a manual trigger, a backfill)
// is waited for, not started twice.
import {
  ApplicationFailure,
  executeChild,
  ParentClosePolicy,
  proxyActivities,
  workflowInfo,
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

/** The UTC day before the scheduled time: the 00:00 run of the 28th processes the 27th. */
export function runDateFor(scheduled: Date): string {
  return new Date(Date.UTC(scheduled.getUTCFullYear(), scheduled.getUTCMonth(), scheduled.getUTCDate() - 1)).toISOString().slice(0, 10);
}

function scheduledTime(): Date {
  const info = workflowInfo();
  const attrs = info.searchAttributes as Record<string, unknown[] | undefined>;
  const value = attrs.TemporalScheduledStartTime?.[0];
  if (value instanceof Date) return value;
  if (typeof value === 'string') return new Date(value);
  throw ApplicationFailure.nonRetryable(
    'This workflow is started by a Temporal Schedule and needs its TemporalScheduledStartTime; to run a date by hand use `roas run`.',
    'NotScheduled',
  );
}

export interface ScheduledRunInput {
  /** Settings passed on to the pipeline (retries, SLA, links); the date comes from the schedule. */
  pipeline?: Omit<DbtDailyRunInput, 'runDate' | 'scheduledTime' | 'trigger'>;
}

export async function scheduledDbtDailyRun(input: ScheduledRunInput = {}) {
  const scheduled = scheduledTime();
  const runDate = runDateFor(scheduled);
  try {
    return await executeChild(dbtDailyRun, {
      workflowId: workflowIds.dbtDailyRun(runDate),
      args: [{ ...input.pipeline, runDate, scheduledTime: scheduled.toISOString(), trigger: 'schedule' }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return awaitWorkflow(workflowIds.dbtDailyRun(runDate));
    throw err;
  }
}

export interface ScheduledEtlInput {
  pipeline?: Omit<DailyEtlInput, 'runDate' | 'scheduledTime' | 'trigger'>;
}

export async function scheduledDailyEtl(input: ScheduledEtlInput = {}) {
  const scheduled = scheduledTime();
  const runDate = runDateFor(scheduled);
  try {
    return await executeChild(dailyEtl, {
      workflowId: workflowIds.dailyEtl(runDate),
      args: [{ ...input.pipeline, runDate, scheduledTime: scheduled.toISOString(), trigger: 'schedule' }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return awaitWorkflow(workflowIds.dailyEtl(runDate));
    throw err;
  }
}
