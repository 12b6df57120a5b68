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
 * dbt steps: long, heartbeating; a worker that dies is noticed within a minute. A cancelled run
 * waits for the step to confirm that dbt and its queries have stopped before it records itself
 * as cancelled.
 */
export function dbtStepOptions(settings: RetrySettings = DEFAULT_RETRY): ActivityOptions {
  return {
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '1 minute',
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: dbtRetryPolicy(settings),
  };
}

/** The patch that added publishing after the test step (write-audit-publish). */
export const PUBLISH_PATCH = 'publish-audited-day';
/** One `dbt build` per pipeline run (models and their tests in DAG order) instead of `dbt run` then `dbt test`. */
export const SINGLE_BUILD_PATCH = 'single-dbt-build';
/** A run skipped because its date already succeeded leaves a ledger row saying so. */
export const SKIPPED_RUN_LEDGER_PATCH = 'ledger-skipped-runs';
/** The Flink gate runs the event-partition maintenance first (added after runs were in flight). */
export const PARTITION_MAINTENANCE_PATCH = 'event-partition-maintenance';
/** Runs carry the RunDate, Pipeline, Trigger and RunStep search attributes. */
export const SEARCH_ATTRIBUTES_PATCH = 'search-attributes';

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

/** The patch after which a run takes its dbt retry settings from the worker, not its input. */
export const WORKER_RETRY_PATCH = 'retry-settings-from-worker';
