// What every pipeline workflow checks of its input before it does anything: a client that skips
// the CLI's checks (a script, the Web UI's "start workflow") cannot start a run for the year 0.
import { ApplicationFailure } from '@temporalio/workflow';
import { INVALID_RUN_DATE } from '../src/core/failure-types';
import { parseBoundedDate } from '../src/core/limits';

/** Fails the workflow (not retried) unless runDate is a day from the earliest date to tomorrow; the workflow clock is deterministic. */
export function requireValidRunDate(runDate: unknown): string {
  try {
    if (typeof runDate !== 'string') throw new Error(`runDate must be a YYYY-MM-DD string, got ${typeof runDate}`);
    return parseBoundedDate(runDate, 'runDate', new Date().toISOString().slice(0, 10));
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, INVALID_RUN_DATE);
  }
}

/** The deepest message of a failure's causes: "division by zero", not "Activity task failed". */
export function rootMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  let message = e?.message ?? String(err);
  while (e && e.cause) {
    e = e.cause;
    if (e.message) message = e.message;
  }
  return message;
}
