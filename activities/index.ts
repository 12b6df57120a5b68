// Every side effect lives here. Activities come from factories that receive their dependencies,
// so tests hand in real or test-double runners without module mocking.
import { createAlertActivities, type AlertDeps } from './alerts';
import { createDbtActivities, type DbtActivityDeps } from './dbt/activities';
import { createPublishActivities, type PublishDeps } from './dbt/publish';
import { createEtlActivities, type EtlDeps } from './etl/activities';
import { createLedgerActivities } from './ledger';
import { createTemporalActivities, type TemporalDeps } from './temporal';

export type ActivityDeps = DbtActivityDeps & PublishDeps & AlertDeps & EtlDeps & TemporalDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    ...createDbtActivities(deps),
    ...createPublishActivities(deps),
    ...createLedgerActivities(deps),
    ...createAlertActivities(deps),
    ...createEtlActivities(deps),
    ...createTemporalActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
