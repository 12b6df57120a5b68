// What both pipelines show of themselves: the progress query, their search attributes and the
// link to their page in the Web UI.
import { setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { PIPELINE, RUN_DATE, RUN_STEP, runDateValue, TRIGGER } from '../src/core/search-attributes';
import { dbtProgressSignal, progressQuery } from '../src/core/signals';
import { DBT_STEP_PROGRESS, type DbtDailyRunProgress, type PipelineName } from '../src/core/types';

/** The run's page in the Temporal Web UI, when the UI's address is known. */
export function runLink(webUiUrl: string | undefined, namespace: string | undefined): string | undefined {
  if (!webUiUrl) return undefined;
  const info = workflowInfo();
  return `${webUiUrl}/namespaces/${encodeURIComponent(namespace ?? info.namespace)}/workflows/${encodeURIComponent(info.workflowId)}/${info.runId}/history`;
}

/**
 * Registers the progress query (and the progress signal older workers sent); the workflow
 * updates `step` on the returned object. Each step also becomes the run's RunStep search
 * attribute, beside RunDate, Pipeline and Trigger set here, so the Web UI finds runs by them
 * (a run started without a pipeline, such as the connection check, carries none).
 */
export function trackProgress(runDate: string, slaDeadline?: Date, search?: { pipeline: PipelineName; trigger: string | undefined }): DbtDailyRunProgress {
  const searchable = search !== undefined;
  if (searchable) {
    upsertSearchAttributes([
      { key: RUN_DATE, value: runDateValue(runDate) },
      { key: PIPELINE, value: search.pipeline },
      { key: TRIGGER, value: search.trigger ?? 'manual' },
      { key: RUN_STEP, value: 'starting' },
    ]);
  }
  let step: DbtDailyRunProgress['step'] = 'starting';
  const fields: Omit<DbtDailyRunProgress, 'step'> = {
    runDate,
    nodesDone: 0,
    nodesTotal: 0,
    attempt: 0,
    failures: [],
    startedAt: workflowInfo().startTime.toISOString(),
    slaDeadline: slaDeadline?.toISOString() ?? '',
    slaMissed: false,
  };
  const progress = Object.defineProperty(fields, 'step', {
    enumerable: true,
    get: () => step,
    set: (next: DbtDailyRunProgress['step']) => {
      if (searchable && next !== step) upsertSearchAttributes([{ key: RUN_STEP, value: next }]);
      step = next;
    },
  }) as DbtDailyRunProgress;
  setHandler(progressQuery, () => ({ ...progress }));
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
