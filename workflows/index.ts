// Deterministic workflow code only: no I/O, no clocks, no process.env. Activities are imported as types.
export { dbtConnectionCheck } from './dbt-connection-check';
