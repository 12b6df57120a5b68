// How far a running dbt step is, as its heartbeat details tell it. The dbt activity writes them;
// the CLI, the dashboard and the SLA alert read them (a heartbeat is not a history event, a
// signal per node would be).
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { DBT_STEP_PROGRESS, type DbtDailyRunProgress, type DbtProgress, type LastAttempt } from '../core/types';

/** The dbt step's last heartbeat, from the run's pending activities; undefined when none is running. */
export async function dbtStepHeartbeat(handle: WorkflowHandle): Promise<DbtProgress | undefined> {
  const description = await handle.describe();
  return heartbeatOf(description.raw.pendingActivities ?? []);
}

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;

/**
 * What a run's pending step says, read from one describe(): the dbt step's last heartbeat, and
 * how its previous attempt ended when the step is on a later one (lost with its worker, or
 * failed) with when it was or will be retried. `run --wait`, `status` and the dashboard show
 * both (through liveProgress).
 */
export async function pendingStepState(handle: WorkflowHandle): Promise<PendingStepState> {
  const description = await handle.describe();
  const pending = description.raw.pendingActivities ?? [];
  return { beat: heartbeatOf(pending), lastAttempt: lastAttemptOf(pending), startedAt: description.startTime.toISOString() };
}

export interface PendingStepState {
  beat: DbtProgress | undefined;
  lastAttempt: LastAttempt | undefined;
  /** When the run started (ISO). */
  startedAt: string;
}

/** TimeoutType.TIMEOUT_TYPE_HEARTBEAT in Temporal's API. */
const HEARTBEAT_TIMEOUT = 4;
/** PendingActivityState.PENDING_ACTIVITY_STATE_STARTED. */
const STARTED = 2;

function isoOf(t: { seconds?: unknown; nanos?: number | null } | null | undefined): string | undefined {
  if (!t?.seconds) return undefined;
  return new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString();
}

/** The previous attempt of a pending step that is on its second attempt or later; undefined otherwise. */
export function lastAttemptOf(pending: PendingActivity[]): LastAttempt | undefined {
  // The dbt step first: it is the one that runs long.
  const ordered = [...pending].sort((a, b) => Number(b.activityType?.name === 'runDbtStep') - Number(a.activityType?.name === 'runDbtStep'));
  for (const a of ordered) {
    const failure = a.lastFailure;
    if (!failure || Number(a.attempt ?? 1) < 2) continue;
    const timeoutType = failure.timeoutFailureInfo?.timeoutType as unknown;
    const lost = timeoutType === HEARTBEAT_TIMEOUT || timeoutType === 'TIMEOUT_TYPE_HEARTBEAT';
    const started = (a.state as unknown) === STARTED || (a.state as unknown) === 'PENDING_ACTIVITY_STATE_STARTED';
    const endedAt = isoOf(a.lastAttemptCompleteTime);
    return {
      attempt: Number(a.attempt) - 1,
      lost,
      ...(lost ? {} : { failure: (failure.message ?? 'failed').split('\n')[0]!.slice(0, 160) }),
      ...(endedAt ? { endedAt } : {}),
      ...(started ? { retriedAt: isoOf(a.lastStartedTime) ?? endedAt } : { retryAt: isoOf(a.nextAttemptScheduleTime) ?? isoOf(a.scheduledTime) ?? endedAt }),
    };
  }
  return undefined;
}

function heartbeatOf(pending: PendingActivity[]): DbtProgress | undefined {
  for (const activity of pending) {
    if (activity.activityType?.name !== 'runDbtStep') continue;
    const payload = activity.heartbeatDetails?.payloads?.[0];
    if (!payload) continue;
    const beat = defaultPayloadConverter.fromPayload<Partial<DbtProgress>>(payload);
    if (!beat || typeof beat.step !== 'string') continue;
    return {
      step: beat.step,
      attempt: Number(beat.attempt ?? activity.attempt ?? 1),
      nodesDone: Number(beat.nodesDone ?? 0),
      nodesTotal: Number(beat.nodesTotal ?? 0),
      failures: Array.isArray(beat.failures) ? beat.failures.map(String) : [],
    };
  }
  return undefined;
}

/** The workflow's view of its step, with dbt's nodes filled in from the step's heartbeat, and how its previous attempt ended. */
export function withHeartbeat(p: DbtDailyRunProgress, beat: DbtProgress | undefined, lastAttempt?: LastAttempt): DbtDailyRunProgress {
  const withLast = lastAttempt ? { ...p, lastAttempt } : p;
  // A heartbeat of a step the run has left, or of an older attempt, says nothing of now.
  if (!beat || DBT_STEP_PROGRESS[beat.step] !== p.step || beat.attempt < p.attempt) return withLast;
  return { ...withLast, attempt: beat.attempt, nodesDone: beat.nodesDone, nodesTotal: beat.nodesTotal, failures: beat.failures };
}
