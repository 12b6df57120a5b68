// A run's progress as a client sees it: the workflow's `progress` query says which step it is
// in; how far dbt is (nodes done, failures so far) comes from the dbt step's last heartbeat,
// and how its previous attempt ended from the pending activity, both of which Temporal keeps. Nothing about progress is written to the
// run's history: a heartbeat is not a history event, a signal per node would be.
import type { WorkflowClient, WorkflowHandle } from '@temporalio/client';
import { pendingStepState, withHeartbeat } from './heartbeat';
import { gateStateQuery, progressQuery, workflowIds } from '../core/signals';
import { DBT_STEP_PROGRESS, type DbtDailyRunProgress, type DbtProgress } from '../core/types';

/**
 * The run's progress: its step from the query, dbt's nodes from the heartbeat, and a previous
 * attempt lost with its worker (or failed), with when it was retried. What `run --wait`,
 * `status` and the dashboard show of a running run.
 */
export async function liveProgress(handle: WorkflowHandle): Promise<DbtDailyRunProgress> {
  // A query waits for a worker to answer it: with none (killed a moment ago) it would hang.
  const connection = (handle as Partial<Pick<WorkflowHandle, 'client'>>).client?.connection;
  const query = () => handle.query(progressQuery);
  const [queried, pending] = await Promise.all([
    (connection ? connection.withDeadline(Date.now() + QUERY_DEADLINE_MS, query) : query()).then(
      (p) => ({ p }),
      (err: unknown) => ({ err }),
    ),
    pendingStepState(handle).catch(() => undefined),
  ]);
  if ('p' in queried) {
    const p = queried.p.step === 'waiting-for-flink' && connection ? { ...queried.p, flinkGate: await flinkGateState(handle.client, queried.p.runDate) } : queried.p;
    return withHeartbeat(p, pending?.beat, pending?.lastAttempt);
  }
  // No worker answered the query (none polls the task queue: the worker is gone). What the
  // server keeps of the pending dbt step still says how far it got and what became of it.
  if (!pending?.beat) throw queried.err;
  return withHeartbeat(fromServer(handle.workflowId, pending.beat, pending.startedAt), pending.beat, pending.lastAttempt);
}

/** How long a worker has to answer the progress query (it answers in milliseconds when there is one). */
const QUERY_DEADLINE_MS = 5_000;

/** The progress of a run whose worker does not answer, from its dbt step's last heartbeat. */
function fromServer(workflowId: string, beat: DbtProgress, startedAt: string): DbtDailyRunProgress {
  return {
    runDate: /\d{4}-\d{2}-\d{2}$/.exec(workflowId)?.[0] ?? '',
    step: DBT_STEP_PROGRESS[beat.step],
    nodesDone: 0,
    nodesTotal: 0,
    attempt: beat.attempt,
    failures: [],
    startedAt,
    slaDeadline: '',
    slaMissed: false,
  };
}

/**
 * Where the date's Flink gate stands: a run shows 'waiting-for-flink' from before its gate has
 * looked at the table until after it opened, so only the gate can say whether it really waits.
 * A gate that does not answer yet has not started looking.
 */
export async function flinkGateState(client: WorkflowClient, runDate: string): Promise<NonNullable<DbtDailyRunProgress['flinkGate']>> {
  return client
    .getHandle(workflowIds.flinkGate(runDate))
    .query(gateStateQuery)
    .catch(() => 'checking' as const);
}
