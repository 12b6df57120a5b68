// Starting pipeline runs from clients (CLI, npm start, tests): business workflow IDs, so a
// scheduled run, a manual trigger and a backfill of the same date never run at once.
import { type Client, WorkflowExecutionAlreadyStartedError, type WorkflowHandle, type WorkflowStartOptions } from '@temporalio/client';
import type { Config } from '../platform/config';
import type { dailyEtl, dbtDailyRun } from '../../workflows';
import { PIPELINES } from '../core/pipelines';
import { workflowIds } from '../core/signals';
import type { DailyEtlInput, DbtDailyRunInput } from '../core/types';
import { RunAlreadyInProgressError } from '../core/errors';

// Defined with the other small errors so the CLI's error handler can name it without loading the Temporal client.
export { RunAlreadyInProgressError };

/**
 * What every run takes from the caller's configuration: where its Web UI page is. Not its
 * retries: those are the worker's (a run reads them from the worker that runs it).
 */
export function pipelineSettings(config: Config): Pick<DbtDailyRunInput, 'webUiUrl' | 'namespace'> {
  return {
    webUiUrl: config.temporal.uiUrl,
    namespace: config.temporal.namespace,
  };
}

export type StartOptions = Omit<DbtDailyRunInput, 'runDate' | 'webUiUrl' | 'namespace'> & { taskQueue?: string };
export type EtlStartOptions = Omit<DailyEtlInput, 'runDate' | 'webUiUrl' | 'namespace'> & { taskQueue?: string };

async function startRun<W extends typeof dbtDailyRun | typeof dailyEtl>(
  client: Client,
  config: Config,
  workflowType: string,
  workflowId: string,
  label: string,
  runDate: string,
  opts: { taskQueue?: string } & Record<string, unknown>,
): Promise<WorkflowHandle<W>> {
  const { taskQueue, ...rest } = opts;
  const options: WorkflowStartOptions<W> = {
    workflowId,
    taskQueue: taskQueue ?? config.temporal.taskQueue,
    args: [{ runDate, ...pipelineSettings(config), ...rest }] as Parameters<W>,
    // A finished run of the date may be followed by another (the workflow itself skips a date
    // that already succeeded unless forced); a running one may not.
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    workflowIdConflictPolicy: 'FAIL',
    staticSummary: `${label} for ${runDate}`,
  };
  try {
    // Started by its type's name: the client never loads workflow code.
    return await client.workflow.start<W>(workflowType, options);
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new RunAlreadyInProgressError(
        `The ${label} for ${runDate} is already running (workflow ${workflowId}); follow it with: roas status --date ${runDate}`,
      );
    }
    throw err;
  }
}

export function startDbtDailyRun(client: Client, config: Config, runDate: string, opts: StartOptions = {}): Promise<WorkflowHandle<typeof dbtDailyRun>> {
  return startRun<typeof dbtDailyRun>(client, config, PIPELINES.dbt.workflowType, workflowIds.dbtDailyRun(runDate), 'dbt daily run', runDate, opts);
}

export function startDailyEtl(client: Client, config: Config, runDate: string, opts: EtlStartOptions = {}): Promise<WorkflowHandle<typeof dailyEtl>> {
  return startRun<typeof dailyEtl>(client, config, PIPELINES.etl.workflowType, workflowIds.dailyEtl(runDate), 'daily ETL', runDate, opts);
}
