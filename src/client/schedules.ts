// The two Temporal Schedules, defined in code and applied idempotently: created when missing,
// updated to match otherwise; a paused schedule stays paused.
import { type Client, ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleOptionsAction, type ScheduleSpec } from '@temporalio/client';
import type { Config } from '../platform/config';
import { PIPELINE_KEYS, PIPELINES, type PipelineKey } from '../core/pipelines';
import { pipelineSettings } from './runs';

export interface ScheduleDefinition {
  /** Short name used on the command line. */
  name: PipelineKey;
  scheduleId: string;
  hourUtc: number;
  workflowType: (typeof PIPELINES)[PipelineKey]['launcherType'];
  description: string;
}

/** One schedule per pipeline, as the pipeline registry defines it. */
export const SCHEDULES: readonly ScheduleDefinition[] = PIPELINE_KEYS.map((key) => {
  const p = PIPELINES[key];
  return { name: key, scheduleId: p.schedule.id, hourUtc: p.schedule.hourUtc, workflowType: p.launcherType, description: p.schedule.description };
});

export interface ApplyOptions {
  /** Prefix for schedule IDs (tests run their own schedules side by side). */
  idPrefix?: string;
  taskQueue?: string;
}

export function scheduleId(def: ScheduleDefinition, opts: ApplyOptions = {}): string {
  return `${opts.idPrefix ?? ''}${def.scheduleId}`;
}

function specFor(def: ScheduleDefinition): ScheduleSpec {
  return { calendars: [{ hour: def.hourUtc, minute: 0, comment: def.description }], timezone: 'UTC' };
}

function actionFor(def: ScheduleDefinition, config: Config, opts: ApplyOptions): ScheduleOptionsAction {
  return {
    type: 'startWorkflow',
    workflowType: def.workflowType,
    // Temporal appends the scheduled time; the launcher runs the date under its business ID.
    workflowId: `scheduled-${scheduleId(def, opts)}`,
    taskQueue: opts.taskQueue ?? config.temporal.taskQueue,
    args: [{ pipeline: pipelineSettings(config) }],
  };
}

const POLICIES = {
  // Each firing processes its own date and dates never collide (business IDs), so a slow day
  // must not delay or drop the next one: allow overlap.
  overlap: ScheduleOverlapPolicy.ALLOW_ALL,
  // Firings missed while Temporal was down are taken when it is back, up to 3 days late.
  catchupWindow: '3 days',
  pauseOnFailure: false,
} as const;

export interface AppliedSchedule {
  name: string;
  scheduleId: string;
  action: 'created' | 'updated';
  paused: boolean;
}

export async function applySchedules(client: Client, config: Config, opts: ApplyOptions = {}): Promise<AppliedSchedule[]> {
  const out: AppliedSchedule[] = [];
  for (const def of SCHEDULES) {
    const id = scheduleId(def, opts);
    const handle = client.schedule.getHandle(id);
    try {
      const current = await handle.describe();
      await handle.update((prev) => ({
        ...prev,
        spec: specFor(def),
        action: actionFor(def, config, opts),
        policies: POLICIES,
        // Keep the operator's pause (and its note) as it is.
        state: prev.state,
      }));
      out.push({ name: def.name, scheduleId: id, action: 'updated', paused: current.state.paused });
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
      await client.schedule.create({
        scheduleId: id,
        spec: specFor(def),
        action: actionFor(def, config, opts),
        policies: POLICIES,
        state: { note: `created by roas schedules apply: ${def.description}` },
      });
      out.push({ name: def.name, scheduleId: id, action: 'created', paused: false });
    }
  }
  return out;
}
