// Runs one of the project's activities outside a worker (`roas test-step`): the same code a run
// executes, in the SDK's own mock activity environment (its info, heartbeat, cancellation and
// logger, with no worker and no server).
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Logger } from '@temporalio/common';

export async function runAsActivity<R>(activityType: string, fn: () => Promise<R>, logger: Logger): Promise<R> {
  const env = new MockActivityEnvironment(
    {
      activityType,
      activityId: 'test-step',
      workflowExecution: { workflowId: 'roas-test-step', runId: 'test-step' },
      workflowType: 'testStep',
      taskQueue: 'test-step',
      scheduledTimestampMs: Date.now(),
    },
    { logger },
  );
  // Ctrl-C stops the command (and dbt with it) as it stops any command: nothing cancels it here.
  return env.run(fn);
}
