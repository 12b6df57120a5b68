// What both pipelines show of themselves: the progress query (fed by the dbt activity's
// progress signals) and the link to their page in the Web UI.
import { setHandler, workflowInfo } from '@temporalio/workflow';
import { dbtProgressSignal, progressQuery } from './signals';
import { DBT_STEP_PROGRESS, type DbtDailyRunProgress } from './types';

/** The run's page in the Temporal Web UI, when the UI's address is known. */
export function runLink(webUiUrl: string | undefined, namespace: string | undefined): string | undefined {
  if (!webUiUrl) return undefined;
  const info = workflowInfo();
  return `${webUiUrl}/namespaces/${encodeURIComponent(namespace ?? info.namespace)}/workflows/${encodeURIComponent(info.workflowId)}/${info.runId}/history`;
}

/** Registers the progress query and signal; the workflow updates `step` on the returned object. */
export function trackProgress(runDate: string, slaDeadline?: Date): DbtDailyRunProgress {
  const progress: DbtDailyRunProgress = {
    runDate,
    step: 'starting',
    nodesDone: 0,
    nodesTotal: 0,
    attempt: 0,
    failures: [],
    startedAt: workflowInfo().startTime.toISOString(),
    slaDeadline: slaDeadline?.toISOString() ?? '',
    slaMissed: false,
  };
  setHandler(progressQuery, () => progress);
  setHandler(dbtProgressSignal, (p) => {
    // Progress of an older attempt, or of a step already left, must not overwrite the current one.
    if (DBT_STEP_PROGRESS[p.step] !== progress.step || p.attempt < progress.attempt) return;
    progress.attempt = p.attempt;
    progress.nodesDone = p.nodesDone;
    progress.nodesTotal = p.nodesTotal;
    progress.failures = p.failures;
  });
  return progress;
}
