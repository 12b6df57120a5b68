import { Command } from 'commander';
import type * as TemporalClient from '@temporalio/client';
import type * as ClientSchedules from '../../client/schedules';
import { UsageError } from '../../core/errors';
import { clip, parseText } from '../../core/limits';
import { PIPELINE_KEYS, PIPELINES, type PipelineKey } from '../../core/pipelines';
import type { CliContext } from './context';
import { requireSubcommand } from './subcommands';

/** What a subcommand works with: the context, a connected client, and the modules imported when one runs (the Temporal client is heavy). */
interface Modules {
  ctx: CliContext;
  client: TemporalClient.Client;
  temporal: typeof TemporalClient;
  schedules: typeof ClientSchedules;
}

/** A schedule named on the command line (one per pipeline), checked before anything connects. */
function scheduleArg(name: string): { name: PipelineKey; scheduleId: string } {
  const key = PIPELINE_KEYS.find((k) => k === name || PIPELINES[k].schedule.id === name);
  if (!key) throw new UsageError(`unknown schedule "${clip(name)}": choose one of ${PIPELINE_KEYS.join(', ')}`);
  return { name: key, scheduleId: PIPELINES[key].schedule.id };
}

/** What `schedules list` needs of a schedule's description. */
export interface ScheduleState {
  state: { paused: boolean; note?: string };
  info: { nextActionTimes: Date[]; recentActions: { scheduledAt: Date; action: { workflow: { workflowId: string } } }[] };
}

/** One schedule as `schedules list` prints it: a paused one has no next runs to show, only that it is paused. */
export function scheduleLines(def: { name: string; scheduleId: string; hourUtc: number }, d: ScheduleState): string[] {
  const lines = [`${def.name.padEnd(4)} ${def.scheduleId.padEnd(14)} ${d.state.paused ? 'PAUSED' : 'active'}  ${String(def.hourUtc).padStart(2, '0')}:00 UTC`];
  if (d.state.note) lines.push(`     note: ${d.state.note}`);
  const next = d.info.nextActionTimes.slice(0, 3).map((t) => t.toISOString()).join(', ') || '–';
  lines.push(`     next: ${d.state.paused ? `paused (roas schedules unpause ${def.name} to resume)` : next}`);
  for (const a of d.info.recentActions.slice(-3)) lines.push(`     ran:  ${a.scheduledAt.toISOString()} → ${a.action.workflow.workflowId}`);
  return lines;
}

export function schedulesCommand(context: () => Promise<CliContext>): Command {
  const cmd = new Command('schedules').description('The Temporal Schedules: dbt at 00:00 UTC, etl at 06:00 UTC.');
  const withClient = async <T>(fn: (m: Modules) => Promise<T>) => {
    const ctx = await context();
    const [temporal, schedules] = await Promise.all([import('@temporalio/client'), import('../../client/schedules')]);
    const { ScheduleNotFoundError } = temporal;
    try {
      return await fn({ ctx, client: await ctx.temporal(), temporal, schedules });
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new UsageError(`${err.message}: create the schedules first with \`roas schedules apply\``);
      throw err;
    } finally {
      await ctx.close();
    }
  };

  cmd
    .command('apply')
    .description('Create or update both schedules from code (idempotent; a paused schedule stays paused).')
    .action(() =>
      withClient(async ({ ctx, client, schedules }) => {
        for (const s of await schedules.applySchedules(client, ctx.config)) console.log(`${s.action} ${s.scheduleId}${s.paused ? ' (paused)' : ''}`);
      }),
    );
  cmd
    .command('list')
    .description('Each schedule: paused or active, its next runs, its last runs.')
    .action(() =>
      withClient(async ({ client, temporal, schedules }) => {
        for (const def of schedules.SCHEDULES) {
          try {
            const d = await client.schedule.getHandle(def.scheduleId).describe();
            for (const line of scheduleLines(def, d)) console.log(line);
          } catch (err) {
            if (!(err instanceof temporal.ScheduleNotFoundError)) throw err;
            console.log(`${def.name.padEnd(4)} ${def.scheduleId.padEnd(14)} missing: run \`roas schedules apply\``);
          }
        }
      }),
    );
  for (const verb of ['pause', 'unpause'] as const) {
    cmd
      .command(`${verb} <schedule>`)
      .description(verb === 'pause' ? 'Stop a schedule from starting runs (running ones go on).' : 'Let a paused schedule start runs again.')
      .option('--note <text>', 'why, for whoever looks next')
      .action((name: string, opts: { note?: string }) => {
        const def = scheduleArg(name);
        if (opts.note !== undefined) parseText(opts.note, '--note');
        return withClient(async ({ client }) => {
          const handle = client.schedule.getHandle(def.scheduleId);
          if (verb === 'pause') await handle.pause(opts.note ?? 'paused with roas schedules pause');
          else await handle.unpause(opts.note ?? 'unpaused with roas schedules unpause');
          console.log(`${verb}d ${def.scheduleId}`);
        });
      });
  }
  cmd
    .command('trigger <schedule>')
    .description("Fire a schedule now, as if it were its time: it processes yesterday (UTC).")
    .action((name: string) => {
      const def = scheduleArg(name);
      return withClient(async ({ client, temporal }) => {
        await client.schedule.getHandle(def.scheduleId).trigger(temporal.ScheduleOverlapPolicy.ALLOW_ALL);
        console.log(`triggered ${def.scheduleId}: follow it with roas runs`);
      });
    });
  return requireSubcommand(cmd);
}
