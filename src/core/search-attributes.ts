// The custom search attributes every pipeline run carries, so the Temporal Web UI, the
// `temporal` CLI and `roas runs` find runs by date, pipeline, trigger and step. The worker
// registers them on its namespace at start (they must exist before a run sets them).
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const RUN_DATE = defineSearchAttributeKey('RunDate', SearchAttributeType.DATETIME);
export const PIPELINE = defineSearchAttributeKey('Pipeline', SearchAttributeType.KEYWORD);
export const TRIGGER = defineSearchAttributeKey('Trigger', SearchAttributeType.KEYWORD);
export const RUN_STEP = defineSearchAttributeKey('RunStep', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [RUN_DATE, PIPELINE, TRIGGER, RUN_STEP] as const;

/** A run date (YYYY-MM-DD) as the Datetime the RunDate attribute holds: midnight UTC. */
export function runDateValue(runDate: string): Date {
  return new Date(`${runDate}T00:00:00Z`);
}
