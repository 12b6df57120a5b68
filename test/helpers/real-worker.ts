// The project's worker, with its real activities, on the run's shared dev server.
import type { NativeConnection } from '@temporalio/worker';
import { inject } from 'vitest';
import type { Config } from '../../src/platform/config';
import { createLogger } from '../../src/platform/logger';
import type { PipelineMetrics } from '../../src/platform/metrics';
import { createRoasWorker } from '../../src/worker/worker';
import { workflowBundle } from './temporal';

export interface RealWorkerOptions {
  config: Config;
  connection: NativeConnection;
  databaseUrl: string;
  taskQueue: string;
  metrics?: PipelineMetrics;
}

/** Runs `body` while the worker polls `taskQueue`, then stops the worker and frees its pool. */
export async function withRealWorker<T>(opts: RealWorkerOptions, body: () => Promise<T>): Promise<T> {
  const { worker, close } = await createRoasWorker({
    ...opts,
    dbtBin: inject('dbtBin'),
    workflowBundle: workflowBundle(),
    log: createLogger('silent'),
  });
  try {
    return await worker.runUntil(body());
  } finally {
    await close();
  }
}
