// Every side effect lives here. Activities come from factories that receive their dependencies,
// so tests hand in real or test-double runners without module mocking.
import { createAlertActivities, type AlertDeps } from './alerts';
import { createDbtActivities, type DbtActivityDeps } from './dbt/activities';
import { createPublishActivities, type PublishDeps } from './dbt/publish';
import { createEtlActivities, type EtlDeps } from './etl/activities';
import { createLateDataActivities, type LateDataDeps } from './late-data';
import { createFlinkTableActivities, createLedgerActivities } from './ledger';
import { createTemporalActivities, type TemporalDeps } from './temporal';
import type { RetrySettings } from '../src/core/settings';

export type ActivityDeps = DbtActivityDeps &
  PublishDeps &
  AlertDeps &
  EtlDeps &
  LateDataDeps &
  TemporalDeps & {
    /** The dbt steps' retry settings of this worker's deployment (ROAS_RETRY_INTERVAL, ROAS_RETRY_ATTEMPTS). */
    retry?: RetrySettings;
  };

export function createActivities(deps: ActivityDeps) {
  return {
    ...createDbtActivities(deps),
    ...createPublishActivities(deps),
    ...createLedgerActivities(deps),
    ...createFlinkTableActivities(deps),
    ...createLateDataActivities(deps),
    ...createAlertActivities(deps),
    ...createEtlActivities(deps),
    ...createTemporalActivities(deps),
    /** Read by each run once (a local activity): its dbt retries are the worker's, not its caller's. */
    workerRetrySettings(): Promise<RetrySettings | null> {
      return Promise.resolve(deps.retry ?? null);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
