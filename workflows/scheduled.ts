// What the Temporal Schedules start. A schedule cannot give its workflows a business ID, so each
// firing starts a small launcher that works out the run date from the schedule's scheduled time
// (never the wall clock: catch-up and backfilled firings process the right day) and runs the
// date's pipeline under its business ID. A date already running (a manual trigger, a backfill)
// is waited for, not started twice.
import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import { addDays } from '../src/core/dates';
import { restateLateDays, type RestateResult } from './restate';
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

/**
 * What a launcher returns: which run it started or joined and how that ended. The run's own
 * result is in the run's history; a copy here would only make this history bigger.
 */
export interface LaunchedRun {
  runDate: string;
  workflowId: string;
  joined: boolean;
  status: string;
  /** The nightly look-back: the published days restated after the date's run (dbt run only). */
  restated?: Pick<RestateResult, 'from' | 'to' | 'days' | 'moved'>;
}

function launched(runDate: string, run: { joined: boolean; workflowId: string; result: unknown }): LaunchedRun {
  const status = (run.result as { status?: unknown } | null)?.status;
  return { runDate, workflowId: run.workflowId, joined: run.joined, status: typeof status === 'string' ? status : 'succeeded' };
}

/**
 * The night: the day that just ended, then the look-back over the published days before it that
 * received events after their cut, each restated as its own date's run. A failure of the day's
 * run does not stop the look-back (and is raised after it).
 */
export async function scheduledDbtDailyRun(input: ScheduledRunInput = {}): Promise<LaunchedRun> {
  const scheduled = scheduledTime();
  const runDate = runDateFor(scheduled);
  let run: LaunchedRun | undefined;
  let failure: Error | undefined;
  try {
    run = launched(runDate, await runOrJoin('dbt', { ...input.pipeline, runDate, scheduledTime: scheduled.toISOString(), trigger: 'schedule' }));
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err));
  }
  // A restated day's SLA counts from its own start: the night's deadline is yesterday's.
  const { from, to, days, moved } = await restateLateDays({ through: addDays(runDate, -1), settings: input.pipeline }, runDate);
  if (failure !== undefined) throw failure;
  return { ...run!, restated: { from, to, days, moved } };
}

export interface ScheduledEtlInput {
  pipeline?: Omit<DailyEtlInput, 'runDate' | 'scheduledTime' | 'trigger'>;
}

export async function scheduledDailyEtl(input: ScheduledEtlInput = {}): Promise<LaunchedRun> {
  const scheduled = scheduledTime();
  const runDate = runDateFor(scheduled);
  return launched(runDate, await runOrJoin('etl', { ...input.pipeline, runDate, scheduledTime: scheduled.toISOString(), trigger: 'schedule' }));
}
