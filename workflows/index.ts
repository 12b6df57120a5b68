// Deterministic workflow code only: no I/O, no clocks, no process.env. Activities are imported as types.
export { dbtConnectionCheck } from './dbt-connection-check';
export { dbtDailyRun } from './dbt-daily-run';
export { flinkGate } from './flink-gate';
export { dailyEtl } from './daily-etl';
export { scheduledDailyEtl, scheduledDbtDailyRun } from './scheduled';
export { backfill } from './backfill';
export { restate } from './restate';
