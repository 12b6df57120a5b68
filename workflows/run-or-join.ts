// Starts a date's pipeline as a child under its business ID, or, when that date is already
// running (a schedule, a manual trigger, another backfill), waits for that run instead of
// starting a second one. Shared by the schedule launchers and backfill.
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { executeChild, ParentClosePolicy, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PipelineKey } from '../src/core/pipelines';
import { dailyEtl } from './daily-etl';
import { dbtDailyRun } from './dbt-daily-run';
import { workflowIds } from '../src/core/signals';
import type { DailyEtlInput, DailyEtlResult, DbtDailyRunInput, DbtDailyRunResult } from '../src/core/types';

const { awaitWorkflow } = proxyActivities<Activities>({
  startToCloseTimeout: '24 hours',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 5 },
});

export type RunOrJoined<R> = { joined: false; workflowId: string; result: R } | { joined: true; workflowId: string; result: unknown };

/** cancelWithParent: the run ends when its parent does (a backfill's); otherwise it outlives it (a schedule's launcher). */
export interface RunOrJoinOptions {
  cancelWithParent?: boolean;
}

export async function runOrJoin(pipeline: 'dbt', input: DbtDailyRunInput, opts?: RunOrJoinOptions): Promise<RunOrJoined<DbtDailyRunResult>>;
export async function runOrJoin(pipeline: 'etl', input: DailyEtlInput, opts?: RunOrJoinOptions): Promise<RunOrJoined<DailyEtlResult>>;
export async function runOrJoin(
  pipeline: PipelineKey,
  input: DbtDailyRunInput | DailyEtlInput,
  opts: RunOrJoinOptions = {},
): Promise<RunOrJoined<DbtDailyRunResult | DailyEtlResult>> {
  const workflowId = pipeline === 'etl' ? workflowIds.dailyEtl(input.runDate) : workflowIds.dbtDailyRun(input.runDate);
  const options = { workflowId, parentClosePolicy: opts.cancelWithParent ? ParentClosePolicy.REQUEST_CANCEL : ParentClosePolicy.ABANDON };
  try {
    const result =
      pipeline === 'etl'
        ? await executeChild(dailyEtl, { ...options, args: [input as DailyEtlInput] })
        : await executeChild(dbtDailyRun, { ...options, args: [input as DbtDailyRunInput] });
    return { joined: false, workflowId, result };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return { joined: true, workflowId, result: await awaitWorkflow(workflowId) };
  }
}
