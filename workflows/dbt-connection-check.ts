import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RetrySettings } from '../src/core/settings';
import { dbtRetryPolicy } from './policies';
import { retrySettingsFor } from './retry-settings';

export interface DbtConnectionCheckInput {
  retry?: RetrySettings;
}

/**
 * The smallest end-to-end proof of the chain: worker → activity → dbt → PostgreSQL.
 * Retried like every dbt step: connection failures 3 more times, 5 minutes apart.
 */
export async function dbtConnectionCheck(input: DbtConnectionCheckInput = {}) {
  const { checkDbtConnection } = proxyActivities<Activities>({
    startToCloseTimeout: '2 minutes',
    retry: dbtRetryPolicy(await retrySettingsFor(input)),
  });
  return checkDbtConnection();
}
