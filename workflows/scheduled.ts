// What the Temporal Schedules start. A schedule cannot give its workflows a business ID, so each
// firing starts a small launcher that works out the run date from the schedule's scheduled time
// (never the wall clock: catch-up and backfilled firings process the right day) and runs the
// date's pipeline under its business ID. A date already running (a manual trigger, a backfill)
// is waited for, not started twice.
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import { addDays } from '../src/core/dates';
import { runOrJoin } from './run-or-join';
import type { DailyEtlInput, DbtDailyRunInput } from '../src/core/types';

/** The UTC day before the scheduled time: the 00:00 run of the 28th processes the 27th. */
export function runDateFor(scheduled: Date): string {
  return addDays(scheduled.toISOString().slice(0, 10), -1);
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
  const run = await runOrJoin('dbt', { ...input.pipeline, runDate: runDateFor(scheduled), scheduledTime: scheduled.toISOString(), trigger: 'schedule' });
  return run.result;
}

export interface ScheduledEtlInput {
  pipeline?: Omit<DailyEtlInput, 'runDate' | 'scheduledTime' | 'trigger'>;
}

export async function scheduledDailyEtl(input: ScheduledEtlInput = {}) {
  const scheduled = scheduledTime();
  const run = await runOrJoin('etl', { ...input.pipeline, runDate: runDateFor(scheduled), scheduledTime: scheduled.toISOString(), trigger: 'schedule' });
  return run.result;
}
