// Signal and query definitions, importable by workflows and clients alike.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { PIPELINES, runWorkflowId } from './pipelines';
import type { DbtDailyRunProgress, DbtProgress } from './types';

/** Sent by `roas flink-complete` (the Flink job's hook) to the date's waiting gate. */
export interface FlinkCompletePayload {
  runDate: string;
}
export const flinkCompleteSignal = defineSignal<[FlinkCompletePayload]>('flinkComplete');

/** Where the Flink gate stands: looking at realtime.flink_batches, or waiting for the signal. */
export const gateStateQuery = defineQuery<'checking' | 'waiting' | 'open'>('gateState');

/** Sent by the dbt activity while dbt runs: nodes done / total. */
export const dbtProgressSignal = defineSignal<[DbtProgress]>('dbtProgress');

export const progressQuery = defineQuery<DbtDailyRunProgress>('progress');

/** Sent by dbtDailyRun to the date's daily ETL (if one is waiting) when it finishes. */
export const dbtRunFinishedSignal = defineSignal<[{ runDate: string; succeeded: boolean }]>('dbtRunFinished');

/** Business workflow IDs: one run of each per date at a time. */
export const workflowIds = {
  dbtDailyRun: (runDate: string) => runWorkflowId(PIPELINES.dbt, runDate),
  flinkGate: (runDate: string) => `flink-gate-${runDate}`,
  dailyEtl: (runDate: string) => runWorkflowId(PIPELINES.etl, runDate),
};
