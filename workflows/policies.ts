// Retry policies and timeouts, in one place, so every proxyActivities call is explicit.
import type { RetryPolicy } from '@temporalio/workflow';
import { NON_RETRYABLE_DBT_FAILURES } from '../src/failure-types';

/** R5: failed work is retried 3 times, 5 minutes apart (4 attempts in all), never without bound. */
export interface RetrySettings {
  intervalMs: number;
  maximumAttempts: number;
}

export const DEFAULT_RETRY: RetrySettings = { intervalMs: 5 * 60_000, maximumAttempts: 4 };

export function dbtRetryPolicy(settings: RetrySettings = DEFAULT_RETRY): RetryPolicy {
  return {
    initialInterval: settings.intervalMs,
    maximumInterval: settings.intervalMs,
    backoffCoefficient: 1,
    maximumAttempts: settings.maximumAttempts,
    nonRetryableErrorTypes: [...NON_RETRYABLE_DBT_FAILURES],
  };
}
