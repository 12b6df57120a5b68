// The worker: runs the workflows and activities of this project on one task queue.
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createDbtRunner } from '../activities/dbt/runner';
import { PROJECT_ROOT, type Config } from './config';

export const WORKFLOWS_PATH = path.join(PROJECT_ROOT, 'workflows', 'index.ts');

export interface WorkerDeps {
  config: Config;
  connection: NativeConnection;
  databaseUrl: string;
  dbtBin: string;
  taskQueue?: string;
  /** Pre-bundled workflow code; without it the worker bundles workflows/ at start-up. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export async function createRoasWorker(deps: WorkerDeps): Promise<Worker> {
  const { config } = deps;
  const activities = createActivities({
    runner: createDbtRunner({
      dbtBin: deps.dbtBin,
      projectDir: config.dbt.projectDir,
      databaseUrl: deps.databaseUrl,
      threads: config.dbt.threads,
    }),
    artifactsDir: config.dbt.artifactsDir,
  });
  return Worker.create({
    connection: deps.connection,
    namespace: config.temporal.namespace,
    taskQueue: deps.taskQueue ?? config.temporal.taskQueue,
    activities,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    shutdownGraceTime: '30 seconds',
  });
}
