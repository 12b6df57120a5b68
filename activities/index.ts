// Every side effect lives here. Activities come from factories that receive their dependencies,
// so tests hand in real or test-double runners without module mocking.
import { createDbtActivities, type DbtActivityDeps } from './dbt/activities';

export type ActivityDeps = DbtActivityDeps;

export function createActivities(deps: ActivityDeps) {
  return {
    ...createDbtActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
