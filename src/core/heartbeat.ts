// How far a running dbt step is, as its heartbeat details tell it. The dbt activity writes them;
// the CLI, the dashboard and the SLA alert read them (a heartbeat is not a history event, a
// signal per node would be).
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { DBT_STEP_PROGRESS, type DbtDailyRunProgress, type DbtProgress } from './types';

/** The dbt step's last heartbeat, from the run's pending activities; undefined when none is running. */
export async function dbtStepHeartbeat(handle: WorkflowHandle): Promise<DbtProgress | undefined> {
  const description = await handle.describe();
  for (const activity of description.raw.pendingActivities ?? []) {
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

/** The workflow's view of its step, with dbt's nodes filled in from the step's heartbeat. */
export function withHeartbeat(p: DbtDailyRunProgress, beat: DbtProgress | undefined): DbtDailyRunProgress {
  // A heartbeat of a step the run has left, or of an older attempt, says nothing of now.
  if (!beat || DBT_STEP_PROGRESS[beat.step] !== p.step || beat.attempt < p.attempt) return p;
  return { ...p, attempt: beat.attempt, nodesDone: beat.nodesDone, nodesTotal: beat.nodesTotal, failures: beat.failures };
}
