// A run's progress on the real stack: dbt's nodes done move while the build runs, read from the
// dbt step's heartbeat (the way `roas run --wait` and `roas status` read it), and the run's
// history holds no progress events at all.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { liveProgress } from '../../src/client/live-progress';
import { startDbtDailyRun } from '../../src/client/runs';
import { PROJECT_ROOT, type Config } from '../../src/platform/config';
import { recordFlinkComplete } from '../../src/client/flink-complete';
import { loadDay } from '../../src/local/generator/load';
import { workflowIds } from '../../src/core/signals';
import type { DbtDailyRunProgress } from '../../src/core/types';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import { withRealWorker } from '../helpers/real-worker';
import { connectDevServer, eventually, uniqueTaskQueue } from '../helpers/temporal';

/** Processes spinning on the CPU until stopped, or for `ms` at most (each ends itself). */
function busyLoops(n: number, ms: number) {
  const children = Array.from({ length: n }, () =>
    execa(process.execPath, ['-e', `const end = Date.now() + ${ms}; let x = 0; while (Date.now() < end) x++;`], { reject: false }),
  );
  return {
    ran: () => children.every((c) => c.pid !== undefined),
    stop: async () => {
      for (const c of children) c.kill('SIGKILL');
      await Promise.all(children);
    },
  };
}

describe('progress of a running dbt build', () => {
  const db = useTestDatabase(import.meta.url);
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  let config: Config;

  beforeAll(async () => {
    temporal = await connectDevServer();
    config = testConfig({ DBT_ARTIFACTS_DIR: mkdtempSync(path.join(os.tmpdir(), 'roas-progress-')) });
  });
  afterAll(async () => {
    await temporal?.close();
  });

  it('nodes done move as dbt finishes them, from the heartbeat, on a loaded machine too; no progress event in the history', async () => {
    const runDate = '2026-09-21';
    await loadDay(db.pool, { date: runDate, events: 200_000, seed: 5 });
    await recordFlinkComplete(db.pool, { runDate });
    const taskQueue = uniqueTaskQueue('progress');
    // A loaded machine: a busy loop on every core beside the worker and dbt, for at most 5 minutes.
    const load = busyLoops(os.availableParallelism(), 300_000);
    const { seen, result, history } = await withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl: db.url, taskQueue }, async () => {
      const handle = await startDbtDailyRun(temporal.client, config, runDate, { taskQueue, trigger: 'manual' });
      const seen: DbtDailyRunProgress[] = [];
      const done = handle.result();
      let finished = false;
      void done.finally(() => (finished = true));
      while (!finished) {
        seen.push(await liveProgress(handle));
        await new Promise((r) => setTimeout(r, 300));
      }
      return { seen, result: await done, history: await handle.fetchHistory() };
    }).finally(() => load.stop());
    expect(load.ran()).toBe(true);
    expect(result.status).toBe('succeeded');
    const total = result.steps[0]!.nodeCounts.total;
    const during = seen.filter((p) => p.step === 'dbt-build' && p.nodesTotal > 0);
    // Seen part-way, and more than one value on the way: the count moves while dbt runs.
    expect(during.some((p) => p.nodesDone > 0 && p.nodesDone < total), JSON.stringify(seen.map((p) => [p.step, p.nodesDone, p.nodesTotal]))).toBe(true);
    expect(new Set(during.map((p) => p.nodesDone)).size).toBeGreaterThan(1);
    expect(during.every((p) => p.nodesTotal === total && p.attempt === 1)).toBe(true);
    // Counts never go backwards.
    const counts = during.map((p) => p.nodesDone);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    // Progress costs the history nothing: no signal at all reached this run.
    const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
    expect(signals).toEqual([]);
  }, 600_000);

  it('an SLA miss while dbt builds says how far dbt is, from the heartbeat', async () => {
    const runDate = '2026-09-22';
    await loadDay(db.pool, { date: runDate, events: 300_000, seed: 6 });
    await recordFlinkComplete(db.pool, { runDate });
    const taskQueue = uniqueTaskQueue('progress-sla');
    const result = await withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl: db.url, taskQueue }, async () => {
      // An SLA of 2.5 s: it runs out while dbt is building.
      const handle = await startDbtDailyRun(temporal.client, config, runDate, { taskQueue, trigger: 'manual', slaMs: 2_500 });
      return handle.result();
    });
    expect(result).toMatchObject({ status: 'succeeded', slaMet: false });
    const { rows } = await db.pool.query<{ text: string }>("SELECT text FROM orchestrator.alerts WHERE run_date = $1 AND kind = 'sla_miss'", [runDate]);
    expect(rows).toHaveLength(1);
    const total = result.steps[0]!.nodeCounts.total;
    expect(rows[0]!.text).toMatch(new RegExp(`dbt build: \\d+/${total} nodes done\\.`));
  });

  it('runs carry RunDate, Pipeline, Trigger and RunStep: Temporal and roas runs find them by date, pipeline and status', async () => {
    // The two runs above: 2026-09-21 and 2026-09-22, both succeeded, started by hand.
    const query = 'RunDate >= "2026-09-21T00:00:00Z" AND RunDate < "2026-09-23T00:00:00Z" AND Pipeline = "dbt_daily_run" AND RunStep = "succeeded"';
    let found: string[] = [];
    await eventually('the runs to be visible by their search attributes', async () => {
      found = [];
      for await (const wf of temporal.client.workflow.list({ query })) found.push(wf.workflowId);
      return found.length === 2;
    });
    expect(found.sort()).toEqual([workflowIds.dbtDailyRun('2026-09-21'), workflowIds.dbtDailyRun('2026-09-22')]);

    const roas = (args: string[]) =>
      execa(path.join(PROJECT_ROOT, 'bin', 'roas'), args, {
        reject: false,
        env: { DATABASE_URL: db.url, TEMPORAL_ADDRESS: inject('temporalAddress'), LOG_LEVEL: 'warn' },
      });
    const succeeded = await roas(['runs', '--status', 'succeeded', '--pipeline', 'dbt', '--from', '2026-09-21', '--to', '2026-09-22']);
    expect(succeeded.exitCode, succeeded.stderr).toBe(0);
    expect(succeeded.stdout).toContain('Temporal query (paste into the Web UI\'s search): `Pipeline` = "dbt_daily_run" AND `RunDate` >= "2026-09-21T00:00:00Z"');
    // Trigger is a reserved word of the query language: the filter quotes it, and the query works.
    const byTrigger = await roas(['runs', '--trigger', 'manual', '--pipeline', 'dbt', '--from', '2026-09-21', '--to', '2026-09-22']);
    expect(byTrigger.exitCode, byTrigger.stderr).toBe(0);
    expect(byTrigger.stdout).toMatch(/2026-09-21\s+dbt_daily_run\s+completed .* manual/);
    const byBackfill = await roas(['runs', '--trigger', 'backfill', '--pipeline', 'etl']);
    expect(byBackfill.exitCode, byBackfill.stderr).toBe(0);
    expect(byBackfill.stderr).not.toMatch(/INVALID_ARGUMENT|\n\s+at /);
    expect(succeeded.stdout).toMatch(/2026-09-22\s+dbt_daily_run\s+completed .* manual\s+succeeded/);
    expect(succeeded.stdout).toMatch(/2026-09-21\s+dbt_daily_run\s+completed .* manual\s+succeeded/);
    const failed = await roas(['runs', '--status', 'failed', '--from', '2026-09-21', '--to', '2026-09-22']);
    expect(failed.exitCode, failed.stderr).toBe(0);
    expect(failed.stdout).toContain('no runs match');
    const bad = await roas(['runs', '--status', 'broken']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/broken.*succeeded, failed, running/s);
  });
});
