// Retry policies and timeouts, in one place, so every proxyActivities call is explicit.
import { ActivityCancellationType, type ActivityOptions, type RetryPolicy } from '@temporalio/workflow';
import { NON_RETRYABLE_DBT_FAILURES } from '../src/core/failure-types';
import { DEFAULT_RETRY, type RetrySettings } from '../src/core/settings';

export function dbtRetryPolicy(settings: RetrySettings = DEFAULT_RETRY): RetryPolicy {
  return {
    initialInterval: settings.intervalMs,
    maximumInterval: settings.intervalMs,
    backoffCoefficient: 1,
    maximumAttempts: settings.maximumAttempts,
    nonRetryableErrorTypes: [...NON_RETRYABLE_DBT_FAILURES],
  };
}

/**
 * dbt steps: long, heartbeating. The step heartbeats at least every 10 s, even while dbt prints
 * nothing, and the worker sends them on within 2 s, so 30 s without one means the worker is gone:
 * the attempt is then ended as lost and retried, and `status` says so within a minute of the
 * loss. A cancelled run waits for the step to confirm that dbt and its queries have stopped
 * before it records itself as cancelled.
 */
export function dbtStepOptions(settings: RetrySettings = DEFAULT_RETRY): ActivityOptions {
  return {
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '30 seconds',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: dbtRetryPolicy(settings),
  };
}

/**
 * Publishing a tested day: one short transaction; it may wait up to a minute for readers'
 * locks, heartbeating, so a dead worker's publish is retried within half a minute.
 */
export function publishOptions(settings: RetrySettings = DEFAULT_RETRY): ActivityOptions {
  return {
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '30 seconds',
    retry: dbtRetryPolicy(settings),
  };
}

/** Small database writes (ledger, Flink table checks): quick, retried a few times. */
export const BOOKKEEPING_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
};

/** Partition maintenance may move a large default partition; it never fails the gate. */
export const MAINTENANCE_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 3 },
};

/** Alerts never fail a pipeline: the activity reports delivery problems instead of throwing. */
export const ALERT_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5 },
};

/**
 * Taking the cut of a day's events: one statement copying the day (seconds per million rows);
 * retried a few times (a retry of the same run gets the same cut back).
 */
export const CUT_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '1 hour',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 5 },
};
