// Where a run's dbt retry settings come from: the worker that runs it (ROAS_RETRY_INTERVAL,
// ROAS_RETRY_ATTEMPTS in the worker's environment), read once per run through a local activity
// and kept in the run's history. Not from the run's input: whoever started a run, or applied
// the schedules, from whatever environment, does not set production's retries; a run's input
// is only a fallback for a worker that reports none.
import { proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DEFAULT_RETRY, type RetrySettings } from '../src/core/settings';

const { workerRetrySettings } = proxyLocalActivities<Activities>({ startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 5 } });

export async function retrySettingsFor(input: { retry?: RetrySettings }): Promise<RetrySettings> {
  return (await workerRetrySettings()) ?? input.retry ?? DEFAULT_RETRY;
}
