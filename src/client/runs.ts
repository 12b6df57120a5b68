// Starting pipeline runs from clients (CLI, schedules' launchers, tests): business workflow IDs,
// so a scheduled run, a manual trigger and a backfill of the same date never run at once.
import { type Client, WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import type { Config } from '../config';
import { dailyEtl, dbtDailyRun } from '../../workflows';
import { workflowIds } from '../../workflows/signals';
import type { DailyEtlInput, DbtDailyRunInput } from '../../workflows/types';

export class RunAlreadyInProgressError extends Error {
  override name = 'RunAlreadyInProgressError';
}

export type StartOptions = Omit<DbtDailyRunInput, 'runDate' | 'webUiUrl' | 'namespace'> & { taskQueue?: string };

/** The workflow input a run gets from the project's configuration. */
export function dbtDailyRunInput(config: Config, runDate: string, opts: StartOptions = {}): DbtDailyRunInput {
  const rest: Partial<StartOptions> = { ...opts };
  delete rest.taskQueue;
  return {
    runDate,
    retry: { intervalMs: config.retry.intervalMs, maximumAttempts: config.retry.maximumAttempts },
    webUiUrl: config.temporal.uiUrl,
    namespace: config.temporal.namespace,
    ...rest,
  };
}

export async function startDbtDailyRun(
  client: Client,
  config: Config,
  runDate: string,
  opts: StartOptions = {},
): Promise<WorkflowHandle<typeof dbtDailyRun>> {
  const workflowId = workflowIds.dbtDailyRun(runDate);
  try {
    return await client.workflow.start(dbtDailyRun, {
      workflowId,
      taskQueue: opts.taskQueue ?? config.temporal.taskQueue,
      args: [dbtDailyRunInput(config, runDate, opts)],
      // A finished run of the date may be followed by another (the workflow itself skips a date
      // that already succeeded unless forced); a running one may not.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      staticSummary: `dbt daily run for ${runDate}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new RunAlreadyInProgressError(
        `The dbt daily run for ${runDate} is already running (workflow ${workflowId}); follow it with: roas status --date ${runDate}`,
      );
    }
    throw err;
  }
}

export type EtlStartOptions = Omit<DailyEtlInput, 'runDate' | 'webUiUrl' | 'namespace'> & { taskQueue?: string };

export async function startDailyEtl(
  client: Client,
  config: Config,
  runDate: string,
  opts: EtlStartOptions = {},
): Promise<WorkflowHandle<typeof dailyEtl>> {
  const workflowId = workflowIds.dailyEtl(runDate);
  const rest: Partial<EtlStartOptions> = { ...opts };
  delete rest.taskQueue;
  try {
    return await client.workflow.start(dailyEtl, {
      workflowId,
      taskQueue: opts.taskQueue ?? config.temporal.taskQueue,
      args: [
        {
          runDate,
          retry: { intervalMs: config.retry.intervalMs, maximumAttempts: config.retry.maximumAttempts },
          webUiUrl: config.temporal.uiUrl,
          namespace: config.temporal.namespace,
          ...rest,
        },
      ],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      staticSummary: `daily ETL for ${runDate}`,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new RunAlreadyInProgressError(`The daily ETL for ${runDate} is already running (workflow ${workflowId}).`);
    }
    throw err;
  }
}
