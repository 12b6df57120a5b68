// On the time-skipping server: the production retry policy waits 5 minutes between attempts,
// and the test proves it without waiting 5 minutes.
import { Context } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RetrySettings } from '../../src/core/settings';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDbtActivities } from '../../activities/dbt/activities';
import type { DbtProcessResult, DbtRunner } from '../../activities/dbt/runner';
import { dbtConnectionCheck } from '../../workflows';
import { createTimeSkippingEnv, uniqueTaskQueue, workflowBundle } from '../helpers/temporal';

function processResult(exitCode: number, message: string): DbtProcessResult {
  return {
    command: 'debug',
    args: ['debug'],
    exitCode,
    durationMs: 5,
    notable: [{ name: 'DebugCmdOut', level: exitCode ? 'error' : 'info', msg: message, data: {} }],
    rawOutput: '',
    dbtVersion: '1.11.16',
    cancelled: false,
  };
}

/**
 * A dbt runner that fails the first `failures` calls with the given message, recording the
 * test server's (skipped) clock at each attempt.
 */
function flakyRunner(env: TestWorkflowEnvironment, failures: number, message: string) {
  const attempts: { attempt: number; serverMs: number }[] = [];
  const runner: DbtRunner = async () => {
    const info = Context.current().info;
    attempts.push({ attempt: info.attempt, serverMs: await env.currentTimeMs() });
    return attempts.length <= failures ? processResult(1, message) : processResult(0, 'All checks passed!');
  };
  return { runner, attempts };
}

describe('dbt retry policy (time-skipping server)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  async function run(runner: DbtRunner, opts: { worker?: RetrySettings | null; input?: RetrySettings } = {}) {
    const taskQueue = uniqueTaskQueue('retry');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: workflowBundle(),
      // A worker with no retry settings of its own: the defaults (5 minutes, 4 attempts) apply.
      activities: { ...createDbtActivities({ runner, artifactsDir: '/tmp/roas-test-artifacts' }), workerRetrySettings: () => Promise.resolve(opts.worker ?? null) },
    });
    return worker.runUntil(
      env.client.workflow.execute(dbtConnectionCheck, { taskQueue, workflowId: taskQueue, args: [opts.input ? { retry: opts.input } : {}] }),
    );
  }

  it('retries a connection failure 5 minutes apart, in seconds of real time', async () => {
    const { runner, attempts } = flakyRunner(env, 2, '  Connection test: [ERROR]\n could not connect to server: Connection refused');
    const realStart = Date.now();
    const result = await run(runner);
    expect(result).toMatchObject({ dbtVersion: '1.11.16' });
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    const gaps = attempts.slice(1).map((a, i) => a.serverMs - attempts[i]!.serverMs);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(5 * 60_000);
      expect(gap).toBeLessThan(5 * 60_000 + 5_000);
    }
    expect(Date.now() - realStart).toBeLessThan(60_000);
  });

  it('stops after 4 attempts (3 retries) and fails with the connection error', async () => {
    const { runner, attempts } = flakyRunner(env, 99, 'could not connect to server: Connection refused');
    const error = await run(runner).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(attempts).toHaveLength(4);
    const cause = (error as WorkflowFailedError).cause?.cause as { type?: string } | undefined;
    expect(cause?.type).toBe('DbtConnectionError');
  });

  it('does not retry a compilation error', async () => {
    const { runner, attempts } = flakyRunner(env, 99, "Compilation Error in model x: 'ref' is undefined");
    const error = await run(runner).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(attempts).toHaveLength(1);
    const cause = (error as WorkflowFailedError).cause?.cause as { type?: string } | undefined;
    expect(cause?.type).toBe('DbtCompilationError');
  });

  it("takes the worker's retry settings, not the ones in the run's input", async () => {
    const { runner, attempts } = flakyRunner(env, 99, 'could not connect to server: Connection refused');
    // The caller asks for 2 attempts 1 s apart; the worker is set to 3 attempts 7 minutes apart.
    const error = await run(runner, { worker: { intervalMs: 7 * 60_000, maximumAttempts: 3 }, input: { intervalMs: 1_000, maximumAttempts: 2 } }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(attempts).toHaveLength(3);
    const gaps = attempts.slice(1).map((a, i) => a.serverMs - attempts[i]!.serverMs);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(7 * 60_000);
  });
});
