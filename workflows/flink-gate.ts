// The dbt run must not start before Flink has completed the date. Only a marker row stored in
// realtime.flink_batches (one that passed the table's checks) opens the gate. Done at once when
// the table has the date; otherwise the flinkComplete signal (sent when a marker is written:
// sub-second reaction, unlike a sensor polling every minute) makes the gate look at the table
// again at once, and it also looks every few minutes in case a signal was lost. A signal is a
// hint, never a proof: whoever sends one, the gate stays shut while the table has no marker. It
// fails with an alert at the deadline.
import { ApplicationFailure, condition, isCancellation, log, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { DEFAULT_FLINK_GATE } from '../src/core/settings';
import { FLINK_GATE_DEADLINE } from '../src/core/failure-types';
import { ALERT_OPTIONS, BOOKKEEPING_OPTIONS, MAINTENANCE_OPTIONS } from './policies';
import { flinkCompleteSignal, gateStateQuery } from '../src/core/signals';
import type { FlinkGateOptions, PipelineName } from '../src/core/types';

const { isFlinkComplete } = proxyActivities<Activities>(BOOKKEEPING_OPTIONS);
const { sendAlert } = proxyActivities<Activities>(ALERT_OPTIONS);
const { maintainEventPartitions } = proxyActivities<Activities>(MAINTENANCE_OPTIONS);

export interface FlinkGateInput {
  runDate: string;
  pipeline: PipelineName;
  options?: FlinkGateOptions;
  webUiLink?: string;
}

export interface FlinkGateResult {
  runDate: string;
  /** How the gate opened: the table already had the date, the look a signal asked for found it, or a periodic re-check did. */
  openedBy: 'table' | 'signal' | 'recheck';
}

export async function flinkGate(input: FlinkGateInput): Promise<FlinkGateResult> {
  const options = input.options ?? DEFAULT_FLINK_GATE;
  let signalled = false;
  let state: 'checking' | 'waiting' | 'open' = 'checking';
  setHandler(gateStateQuery, () => state);
  setHandler(flinkCompleteSignal, (payload) => {
    // A payload for another date (or none) is a caller's mistake: log it, never crash the gate.
    // The right date only makes the gate look at the table now.
    if (payload?.runDate === input.runDate) signalled = true;
    else if (typeof payload?.runDate === 'string') log.warn('ignored a flinkComplete signal for another date', { expected: input.runDate, got: payload.runDate });
    else log.warn('ignored a malformed flinkComplete signal: expected { runDate: "YYYY-MM-DD" }', { expected: input.runDate, got: payload });
  });
  // The date's partition and the days ahead exist, and events that arrived before their day had
  // a partition are moved into it. A failure here costs nothing but speed: those rows are read
  // through the default partition meanwhile.
  try {
    const moved = await maintainEventPartitions({ runDate: input.runDate });
    if (moved.length) log.info('moved events out of the default partition into their days', { moved });
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('event-partition maintenance failed; carrying on', { error: (err as Error).message });
  }
  if (await isFlinkComplete(input.runDate)) {
    state = 'open';
    return { runDate: input.runDate, openedBy: 'table' };
  }

  state = 'waiting';
  let deadlinePassed = false;
  // Signals cut the waits between looks short; the deadline stays where it was.
  void sleep(options.deadlineMs).then(
    () => void (deadlinePassed = true),
    () => undefined, // cancelled with the gate
  );
  for (;;) {
    await condition(() => signalled || deadlinePassed, options.recheckMs);
    const openedBy = signalled ? 'signal' : 'recheck';
    signalled = false;
    if (await isFlinkComplete(input.runDate)) {
      state = 'open';
      return { runDate: input.runDate, openedBy };
    }
    if (deadlinePassed) break;
    if (openedBy === 'signal') log.info('a flinkComplete signal came, but realtime.flink_batches has no usable marker for the date yet; still waiting', { runDate: input.runDate });
  }

  const hours = (options.deadlineMs / 3_600_000).toFixed(1);
  await sendAlert({
    incidentKey: `${workflowInfo().workflowId}:${workflowInfo().runId}:flink_gate_deadline`,
    kind: 'flink_gate_deadline',
    pipeline: input.pipeline,
    runDate: input.runDate,
    title: `Flink has not completed ${input.runDate}: the dbt run did not start`,
    lines: [
      `Waited ${hours} h for Flink to report ${input.runDate} complete (realtime.flink_batches has no marker for it; roas status --date ${input.runDate} shows any the database refused, and why).`,
      'Check the Flink job. When the day is complete, record it and re-run the date:',
      `  roas flink-complete --date ${input.runDate}`,
      `  roas run dbt --date ${input.runDate} --force`,
    ],
    link: input.webUiLink,
  });
  throw ApplicationFailure.nonRetryable(`Flink did not report ${input.runDate} complete within ${hours} h`, FLINK_GATE_DEADLINE);
}
