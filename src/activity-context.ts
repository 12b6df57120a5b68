// Runs one of the project's activities outside a worker (`roas test-step`): the same code a run
// executes, given the activity context it reads (its info, heartbeat, cancellation, logger)
// through the SDK's public activity API, with no worker and no server.
import { asyncLocalStorage, Context, type Info } from '@temporalio/activity';
import { noopMetricMeter, type Logger } from '@temporalio/common';

export async function runAsActivity<R>(activityType: string, fn: () => Promise<R>, logger: Logger): Promise<R> {
  const now = Date.now();
  const info: Info = {
    taskToken: Buffer.from('roas-test-step'),
    base64TaskToken: Buffer.from('roas-test-step').toString('base64'),
    activityId: 'test-step',
    activityType,
    activityNamespace: 'test-step',
    namespace: 'test-step',
    attempt: 1,
    isLocal: false,
    workflowExecution: { workflowId: 'roas-test-step', runId: 'test-step' },
    workflowNamespace: 'test-step',
    workflowType: 'testStep',
    scheduledTimestampMs: now,
    scheduleToCloseTimeoutMs: 6 * 3_600_000,
    startToCloseTimeoutMs: 6 * 3_600_000,
    currentAttemptScheduledTimestampMs: now,
    heartbeatTimeoutMs: undefined,
    heartbeatDetails: undefined,
    taskQueue: 'test-step',
    priority: undefined,
    retryPolicy: undefined,
    activityRunId: undefined,
    inWorkflow: false,
  };
  // Ctrl-C stops the command (and dbt with it) as it stops any command: no cancellation here.
  const controller = new AbortController();
  const context = new Context(info, new Promise<never>(() => {}), controller.signal, () => {}, undefined, logger, noopMetricMeter, {});
  return asyncLocalStorage.run(context, fn);
}
