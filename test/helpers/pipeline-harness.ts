// Workflow tests on the time-skipping server with everything real but dbt: the project's
// activities, PostgreSQL (a database per file), the Slack client against a local stand-in.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll } from 'vitest';
import { createActivities } from '../../activities';
import { temporalWorkflowStatus } from '../../activities/etl/activities';
import { recordFlinkComplete } from '../../src/client/flink-complete';
import { PROJECT_ROOT } from '../../src/platform/config';
import { createLogger } from '../../src/platform/logger';
import { useTestDatabase } from './db';
import { fakeDbt, withAuditedDays, type Scenario } from './fake-dbt';
import { startFakeSlack } from './slack';
import { createTimeSkippingEnv, uniqueTaskQueue, workflowBundle } from './temporal';

export const UI = 'http://localhost:8233';

export function usePipelineHarness(fileUrl: string) {
  const db = useTestDatabase(fileUrl);
  const artifactsDir = mkdtempSync(path.join(os.tmpdir(), 'roas-wf-artifacts-'));
  const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'roas-wf-reports-'));
  const h = {
    db,
    artifactsDir,
    reportsDir,
    env: undefined as unknown as TestWorkflowEnvironment,
    slack: undefined as unknown as Awaited<ReturnType<typeof startFakeSlack>>,

    /** Runs `body` with a worker whose dbt is the given scenario. */
    async withWorker<T>(scenario: Scenario, body: (taskQueue: string) => Promise<T>, opts: { slackEnabled?: boolean } = {}) {
      const taskQueue = uniqueTaskQueue('pipeline');
      const dbt = fakeDbt(withAuditedDays(db.pool, scenario));
      const worker = await Worker.create({
        connection: h.env.nativeConnection,
        taskQueue,
        workflowBundle: workflowBundle(),
        activities: createActivities({
          runner: dbt.runner,
          artifactsDir,
          reportsDir,
          dbtProjectDir: path.join(PROJECT_ROOT, 'dbt'),
          pool: db.pool,
          slack: opts.slackEnabled === false ? undefined : h.slack.client(),
          channel: '#marketing-data-alerts',
          log: createLogger('silent'),
          workflowStatus: temporalWorkflowStatus(h.env.client),
          temporal: h.env.client,
        }),
      });
      const result = await worker.runUntil(body(taskQueue));
      return { result, dbt };
    },

    async flinkDone(runDate: string) {
      // These tests load no events: the day is recorded complete and empty.
      await recordFlinkComplete(db.pool, { runDate, allowEmpty: true });
    },

    async alertsFor(runDate: string) {
      const { rows } = await db.pool.query<{ kind: string; pipeline: string; text: string; delivered: boolean; delivery_error: string | null }>(
        'SELECT kind, pipeline, text, delivered, delivery_error FROM orchestrator.alerts WHERE run_date = $1 ORDER BY id',
        [runDate],
      );
      return rows;
    },

    messagesAbout(runDate: string) {
      return h.slack.messages().filter((m) => String(m.body.text).includes(runDate));
    },
  };
  beforeAll(async () => {
    h.env = await createTimeSkippingEnv();
    h.slack = await startFakeSlack();
  });
  afterAll(async () => {
    await h.env?.teardown();
    await h.slack?.close();
  });
  return h;
}
