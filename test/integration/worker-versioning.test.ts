// Deploying a new worker version while a run waits at its Flink gate: the waiting run finishes on
// the version that started it (pinned), new runs go to the new version once it is promoted. Two
// real workers (real dbt, PostgreSQL) on the dev server, as two builds of one Worker Deployment.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDbtDailyRun } from '../../src/client/runs';
import { describeDeployment, promoteVersion } from '../../src/client/deployment';
import { recordFlinkComplete, signalFlinkGate } from '../../src/client/flink-complete';
import { loadDay } from '../../src/local/generator/load';
import { createLogger } from '../../src/platform/logger';
import { createRoasWorker } from '../../src/worker/worker';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import { connectDevServer, eventually, gateWaiting, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

describe('worker versioning', () => {
  const db = useTestDatabase(import.meta.url);
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  beforeAll(async () => {
    temporal = await connectDevServer();
  });
  afterAll(async () => {
    await temporal?.close();
  });

  it('a run waiting at the Flink gate on version A finishes on A after version B takes new runs', async () => {
    const deploymentName = `roas-test-${randomBytes(3).toString('hex')}`;
    const taskQueue = uniqueTaskQueue('versioning');
    const artifacts = mkdtempSync(path.join(os.tmpdir(), 'roas-versioning-'));
    const start = async (buildId: string) => {
      const config = testConfig({ ROAS_BUILD_ID: buildId, ROAS_DEPLOYMENT_NAME: deploymentName, DBT_ARTIFACTS_DIR: path.join(artifacts, buildId) });
      const w = await createRoasWorker({
        config,
        connection: temporal.nativeConnection,
        databaseUrl: db.url,
        taskQueue,
        dbtBin: inject('dbtBin'),
        workflowBundle: workflowBundle(),
        log: createLogger('silent'),
      });
      return { ...w, config, running: w.worker.run() };
    };
    const service = temporal.client.workflowService;
    const current = async () => (await describeDeployment(service, 'default', deploymentName))?.currentBuildId;

    const a = await start('build-a');
    const b = { handle: undefined as Awaited<ReturnType<typeof start>> | undefined };
    try {
      // The deployment's first version becomes current by itself.
      await eventually('build-a to become the current version', async () => (await current()) === 'build-a');

      const waiting = '2026-08-01';
      await loadDay(db.pool, { date: waiting, events: 5_000, seed: 21 });
      const first = await startDbtDailyRun(temporal.client, a.config, waiting, { taskQueue, trigger: 'manual' });
      await gateWaiting(temporal.client, waiting);

      // Version B starts and is promoted while the first run waits.
      b.handle = await start('build-b');
      await eventually('build-b to be known to the deployment', async () =>
        Boolean((await describeDeployment(service, 'default', deploymentName))?.versions.some((v) => v.buildId === 'build-b')),
      );
      await promoteVersion(service, 'default', { deploymentName, buildId: 'build-b' }, 'test');
      expect(await current()).toBe('build-b');

      // A new run goes to B.
      const fresh = '2026-08-02';
      await loadDay(db.pool, { date: fresh, events: 5_000, seed: 22 });
      await recordFlinkComplete(db.pool, { runDate: fresh });
      const second = await startDbtDailyRun(temporal.client, b.handle.config, fresh, { taskQueue, trigger: 'manual' });
      expect((await second.result()).status).toBe('succeeded');

      // Flink reports the first date: its run wakes up and finishes, on A.
      await recordFlinkComplete(db.pool, { runDate: waiting });
      await signalFlinkGate(temporal.client, waiting);
      expect((await first.result()).status).toBe('succeeded');

      const versionOf = async (workflowId: string) => {
        const d = await temporal.client.workflow.getHandle(workflowId).describe();
        return d.raw.workflowExecutionInfo?.versioningInfo?.deploymentVersion?.buildId;
      };
      expect(await versionOf(first.workflowId)).toBe('build-a');
      expect(await versionOf(second.workflowId)).toBe('build-b');
      // Every workflow task of the first run, before and after B's promotion, ran on A.
      const history = await first.fetchHistory();
      const builds = new Set(
        (history.events ?? []).flatMap((e) => {
          const done = e.workflowTaskCompletedEventAttributes;
          return done ? [done.deploymentVersion?.buildId ?? done.workerVersion?.buildId ?? '?'] : [];
        }),
      );
      expect([...builds]).toEqual(['build-a']);
      // Its dbt ran on A's worker too (each build keeps its artifacts apart here).
      const { existsSync } = await import('node:fs');
      expect(existsSync(path.join(artifacts, 'build-a', 'dbt_daily_run', waiting))).toBe(true);
      expect(existsSync(path.join(artifacts, 'build-b', 'dbt_daily_run', waiting))).toBe(false);
    } finally {
      for (const w of [a, b.handle]) {
        if (!w) continue;
        w.worker.shutdown();
        await w.running.catch(() => {});
        await w.close();
      }
    }
  });
});
