// Restatement: a published day that received events after the cut it was built from is built
// again, as that date's own run (its business ID: a backfill or a manual run of the same date is
// waited for, never run twice), through the same audit, tests and publish, with the trigger
// `restatement`. A restatement that fails its tests keeps the published version; the run's own
// alert names the day. Afterwards, one message when a restated day's total moved by more than
// the configured share. Used by the nightly launcher (the look-back) and by `roas restate`.
import { ActivityFailure, ChildWorkflowFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { PIPELINES } from '../src/core/pipelines';
import type { DbtDailyRunInput, LateDay } from '../src/core/types';
import { ALERT_OPTIONS, BOOKKEEPING_OPTIONS } from './policies';
import { runOrJoin } from './run-or-join';

const { lateDaysToRestate, restatementTotals } = proxyActivities<Activities>({ ...BOOKKEEPING_OPTIONS, startToCloseTimeout: '10 minutes' });
const { sendAlert } = proxyActivities<Activities>(ALERT_OPTIONS);

export interface RestateInput {
  /** The nightly look-back: the configured number of published days ending on this date. */
  through?: string;
  /** A range a person asked for: every published day in it with late rows. */
  from?: string;
  to?: string;
  /** Settings passed on to each run (retries, SLA, links). */
  settings?: Omit<DbtDailyRunInput, 'runDate' | 'force' | 'trigger'>;
}

export interface RestatedDay {
  runDate: string;
  lateRows: number;
  status: 'restated' | 'failed' | 'joined';
  detail: string;
}

export interface RestateResult {
  from: string;
  to: string;
  days: RestatedDay[];
  /** Days with late rows below the threshold, left as published. */
  below: LateDay[];
  /** Restated days whose total moved by more than the alert share (one message names them). */
  moved: string[];
}

async function restateOne(day: LateDay, settings: RestateInput['settings']): Promise<RestatedDay> {
  const args = { ...settings, runDate: day.runDate, force: true, trigger: 'restatement' as const };
  try {
    // A run of the date already going (a backfill, a person) is waited for; if it read its cut
    // before the late rows came, the day is still late and is built once more.
    for (let attempt = 1; ; attempt++) {
      const run = await runOrJoin('dbt', args);
      if (!run.joined) return { runDate: day.runDate, lateRows: day.lateRows, status: 'restated', detail: `${run.workflowId} published the day again` };
      const still = await lateDaysToRestate({ from: day.runDate, to: day.runDate });
      if (!still.due.length || attempt >= 2) {
        return { runDate: day.runDate, lateRows: day.lateRows, status: 'joined', detail: `${run.workflowId} was already running; waited for it` };
      }
    }
  } catch (err) {
    if (err instanceof ChildWorkflowFailure || err instanceof ActivityFailure) {
      return { runDate: day.runDate, lateRows: day.lateRows, status: 'failed', detail: `kept its published version: ${err.cause?.message ?? err.message}` };
    }
    throw err;
  }
}

export async function restateLateDays(input: RestateInput, night: string): Promise<RestateResult> {
  const info = workflowInfo();
  const since = info.startTime.toISOString();
  const found = await lateDaysToRestate({ through: input.through, from: input.from, to: input.to });
  const days: RestatedDay[] = [];
  // One date after another: restatements share the night with yesterday's run.
  for (const day of found.due) days.push(await restateOne(day, input.settings));
  const restated = days.filter((d) => d.status !== 'failed').map((d) => d.runDate);
  let moved: string[] = [];
  if (restated.length) {
    const totals = await restatementTotals({ dates: restated, since });
    moved = totals.moved;
    if (moved.length) {
      await sendAlert({
        incidentKey: `${info.workflowId}:${info.runId}:restatements`,
        kind: 'restatement',
        pipeline: PIPELINES.dbt.name,
        runDate: night,
        title: `Published days moved: ${moved.join(', ')} restated by more than ${(totals.alertShare * 100).toFixed(1)} %`,
        lines: totals.totals
          .filter((t) => moved.includes(t.runDate))
          .map(
            (t) =>
              `• ${t.runDate}: ROAS ${t.roasBefore ?? '–'} → ${t.roasAfter ?? '–'}, revenue ${t.revenueBefore ?? '–'} → ${t.revenueAfter ?? '–'} KRW, ` +
              `rows ${t.rowsBefore ?? '–'} → ${t.rowsAfter ?? '–'} (largest move ${t.largestChange ?? '–'})`,
          )
          .concat(['The record: roas restatements (orchestrator.restatements).']),
      });
    }
  }
  return { from: found.from, to: found.to, days, below: found.below, moved };
}

/** `roas restate --from … --to …`: the published days of a range that received late rows. */
export async function restate(input: RestateInput): Promise<RestateResult> {
  return restateLateDays(input, input.to ?? input.through ?? workflowInfo().startTime.toISOString().slice(0, 10));
}
