// A run's progress as a client sees it: the workflow's `progress` query says which step it is
// in; how far dbt is (nodes done, failures so far) comes from the dbt step's last heartbeat,
// which Temporal keeps with the pending activity. Nothing about progress is written to the
// run's history: a heartbeat is not a history event, a signal per node would be.
import type { WorkflowHandle } from '@temporalio/client';
import { dbtStepHeartbeat, withHeartbeat } from '../core/heartbeat';
import { progressQuery } from '../core/signals';
import type { DbtDailyRunProgress } from '../core/types';

/** The run's progress: its step from the query, dbt's nodes from the heartbeat. */
export async function liveProgress(handle: WorkflowHandle): Promise<DbtDailyRunProgress> {
  const [p, beat] = await Promise.all([handle.query(progressQuery), dbtStepHeartbeat(handle).catch(() => undefined)]);
  return withHeartbeat(p, beat);
}
