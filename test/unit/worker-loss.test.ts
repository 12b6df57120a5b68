// A worker that dies is visible, and `npm start` after a crash knows what was left behind:
// - how a pending step's previous attempt reads (lost with its worker, or failed; retried when),
//   the one reading that `status`, `run --wait` and the dashboard share (liveProgress);
// - `run --wait` through a Temporal server that does not answer for a while: one line, then on,
//   or a sentence after the bounded wait, never a stack trace;
// - which recorded processes a killed `npm start` left running (real processes).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, describe, expect, it } from 'vitest';
import { liveProgress } from '../../src/client/live-progress';
import { followProgress, isServerUnavailable, resultThroughOutages } from '../../src/cli/commands/follow';
import { progressView } from '../../src/cli/commands/run';
import { describeProgress, lastAttemptText } from '../../src/core/describe';
import { BootstrapError } from '../../src/core/errors';
import { lastAttemptOf, withHeartbeat } from '../../src/client/heartbeat';
import type { DbtDailyRunProgress } from '../../src/core/types';
import { leftRunning, readRecords, recordProcess, stackDir } from '../../src/local/stack/pids';

const ts = (iso: string) => ({ seconds: Math.floor(Date.parse(iso) / 1000), nanos: 0 });
const HEARTBEAT = 4;
const SCHEDULED = 1;
const STARTED = 2;

/** A pending dbt step as describe() returns it. */
function pendingStep(over: Record<string, unknown>) {
  return { activityId: '5', activityType: { name: 'runDbtStep' }, state: STARTED, attempt: 1, ...over } as Parameters<typeof lastAttemptOf>[0][number];
}
const heartbeatTimeout = { message: 'activity Heartbeat timeout', timeoutFailureInfo: { timeoutType: HEARTBEAT } };

const progress: DbtDailyRunProgress = {
  runDate: '2026-11-26',
  step: 'dbt-build',
  nodesDone: 10,
  nodesTotal: 51,
  attempt: 1,
  failures: [],
  startedAt: '2026-11-27T12:00:00.000Z',
  slaDeadline: '2026-11-27T01:00:00.000Z',
  slaMissed: false,
};

describe('a pending step whose previous attempt was lost with its worker', () => {
  it('on its first attempt, says nothing more', () => {
    expect(lastAttemptOf([pendingStep({ attempt: 1 })])).toBeUndefined();
    expect(describeProgress(withHeartbeat(progress, undefined, undefined), Date.parse('2026-11-27T12:05:00Z'))).toBe('dbt build, 10/51 nodes done');
  });

  it('waiting for its retry: "attempt 1 lost (worker gone), retry at HH:MM UTC", then waiting for a worker once due', () => {
    const last = lastAttemptOf([
      pendingStep({ state: SCHEDULED, attempt: 2, lastFailure: heartbeatTimeout, lastAttemptCompleteTime: ts('2026-11-27T12:04:30Z'), nextAttemptScheduleTime: ts('2026-11-27T12:09:30Z') }),
    ]);
    expect(last).toEqual({ attempt: 1, lost: true, endedAt: '2026-11-27T12:04:30.000Z', retryAt: '2026-11-27T12:09:30.000Z' });
    const p = withHeartbeat(progress, undefined, last);
    expect(describeProgress(p, Date.parse('2026-11-27T12:05:00Z'))).toBe('dbt build, 10/51 nodes done; attempt 1 lost (worker gone), retry at 12:09 UTC');
    expect(lastAttemptText(p, Date.parse('2026-11-27T12:10:00Z'))).toBe('attempt 1 lost (worker gone), retry due since 12:09 UTC (waiting for a worker)');
  });

  it('once retried: "attempt 1 lost (worker gone), retried at HH:MM UTC" beside the new attempt', () => {
    const last = lastAttemptOf([pendingStep({ state: STARTED, attempt: 2, lastFailure: heartbeatTimeout, lastStartedTime: ts('2026-11-27T12:09:31Z') })]);
    const p = withHeartbeat({ ...progress, nodesDone: 0 }, { step: 'build', attempt: 2, nodesDone: 3, nodesTotal: 41, failures: [] }, last);
    expect(describeProgress(p, Date.parse('2026-11-27T12:10:00Z'))).toBe('dbt build, 3/41 nodes done, attempt 2; attempt 1 lost (worker gone), retried at 12:09 UTC');
  });

  it('a failed attempt (not a lost one) says why, on one line', () => {
    const last = lastAttemptOf([
      pendingStep({ state: SCHEDULED, attempt: 3, lastFailure: { message: 'dbt build failed: stg_ad_events\nmore', applicationFailureInfo: { type: 'DbtModelError' } }, nextAttemptScheduleTime: ts('2026-11-27T12:20:00Z') }),
    ]);
    expect(lastAttemptText({ lastAttempt: last }, Date.parse('2026-11-27T12:10:00Z'))).toBe('attempt 2 failed (dbt build failed: stg_ad_events), retry at 12:20 UTC');
  });

  it('`run --wait` prints a new line when an attempt is lost, though nodes did not move', () => {
    const before = progressView(progress);
    const after = progressView(withHeartbeat(progress, undefined, { attempt: 1, lost: true, retryAt: '2026-11-27T12:09:30.000Z' }));
    expect(after.key).not.toBe(before.key);
    expect(after.line).toContain('attempt 1 lost (worker gone)');
  });
});

describe('status with no worker to answer the progress query (the worker was killed)', () => {
  const noPoller = Object.assign(new Error('Failed to query Workflow'), { cause: Object.assign(new Error('9 FAILED_PRECONDITION: no poller seen for task queue recently, worker may be down'), { code: 9 }) });
  const handle = (pendingActivities: unknown[]) =>
    ({
      workflowId: 'dbt-daily-run-2026-11-26',
      query: () => Promise.reject(noPoller),
      describe: () => Promise.resolve({ startTime: new Date('2026-11-27T12:00:00Z'), raw: { pendingActivities } }),
    }) as unknown as WorkflowHandle;

  it('reads how far the step got and what became of it from the server', async () => {
    const beat = defaultPayloadConverter.toPayload({ step: 'build', attempt: 1, nodesDone: 10, nodesTotal: 51, failures: [], passed: [] });
    const p = await liveProgress(
      handle([pendingStep({ state: SCHEDULED, attempt: 2, heartbeatDetails: { payloads: [beat] }, lastFailure: heartbeatTimeout, nextAttemptScheduleTime: ts('2026-11-27T12:09:30Z') })]),
    );
    expect(describeProgress(p, Date.parse('2026-11-27T12:05:00Z'))).toBe('dbt build, 10/51 nodes done; attempt 1 lost (worker gone), retry at 12:09 UTC');
    expect(p.runDate).toBe('2026-11-26');
  });

  it('with no step reported yet, the query\'s error is what there is', async () => {
    await expect(liveProgress(handle([]))).rejects.toBe(noPoller);
  });
});

describe('run --wait while Temporal does not answer', () => {
  const unavailable = () => Object.assign(new Error('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:7233'), { code: 14 });

  it('knows a server that does not answer, also inside the client\'s own error', () => {
    expect(isServerUnavailable(unavailable())).toBe(true);
    expect(isServerUnavailable(Object.assign(new Error('Failed to query workflow'), { cause: unavailable() }))).toBe(true);
    expect(isServerUnavailable(new Error('Workflow execution failed'))).toBe(false);
  });

  it('says so in one line, stays quiet meanwhile, says when it answers again, and returns the result', async () => {
    let clock = 0;
    const printed: string[] = [];
    let calls = 0;
    const outcome = resultThroughOutages(
      () => {
        calls++;
        return calls <= 3 ? Promise.reject(unavailable()) : Promise.resolve('succeeded');
      },
      { server: 'Temporal at 127.0.0.1:7233', followAgain: 'roas status --date 2026-11-26', now: () => clock, sleep: (ms) => ((clock += ms), Promise.resolve()), print: (l) => printed.push(l) },
    );
    expect(await outcome.result).toBe('succeeded');
    expect(printed).toEqual([
      '  Temporal at 127.0.0.1:7233 is not answering (restarted or stopped?): still following, for up to 10m00s',
      '  Temporal at 127.0.0.1:7233 answers again after 15s',
    ]);
    expect(outcome.down()).toBe(false);
  });

  it('with a probe, says the server answers again while the run is still going (its result is a long poll)', async () => {
    let clock = 0;
    const printed: string[] = [];
    let calls = 0;
    let finish!: (v: string) => void;
    let probes = 0;
    const outcome = resultThroughOutages(
      () => {
        calls++;
        // Down once; then the long poll waits for the run's end.
        return calls === 1 ? Promise.reject(unavailable()) : new Promise<string>((r) => (finish = r));
      },
      {
        server: 'Temporal at 127.0.0.1:7233',
        followAgain: 'roas status --date 2026-11-26',
        probe: () => (++probes < 3 ? Promise.reject(unavailable()) : Promise.resolve({})),
        now: () => clock,
        sleep: (ms) => ((clock += ms), new Promise<void>((r) => setImmediate(r))),
        print: (l) => printed.push(l),
      },
    );
    await new Promise<void>((resolve) => {
      const poll = () => (printed.length >= 2 ? resolve() : setImmediate(poll));
      poll();
    });
    expect(printed[0]).toContain('is not answering');
    expect(printed[1]).toMatch(/^ {2}Temporal at 127\.0\.0\.1:7233 answers again after \d+s$/);
    expect(outcome.down()).toBe(false);
    finish('succeeded');
    expect(await outcome.result).toBe('succeeded');
    expect(printed).toHaveLength(2);
  });

  it('gives up after the bounded wait with a sentence (exit 1 through the CLI\'s known errors)', async () => {
    let clock = 0;
    const printed: string[] = [];
    const outcome = resultThroughOutages(() => Promise.reject(unavailable()), {
      server: 'Temporal at 127.0.0.1:7233',
      followAgain: 'roas status --date 2026-11-26',
      maxOutageMs: 60_000,
      now: () => clock,
      sleep: (ms) => ((clock += ms), Promise.resolve()),
      print: (l) => printed.push(l),
    });
    const err = await outcome.result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BootstrapError);
    expect((err as Error).message).toBe(
      'Temporal at 127.0.0.1:7233 has not answered for 1m00s: the run goes on in Temporal once it is back (start it with `npm start`, or check the server); follow it again with roas status --date 2026-11-26.',
    );
    expect(printed).toHaveLength(1);
  });

  it('any other error is not waited on', async () => {
    const outcome = resultThroughOutages(() => Promise.reject(new Error('Workflow execution failed')), { server: 'T', followAgain: 'x', print: () => {} });
    await expect(outcome.result).rejects.toThrow('Workflow execution failed');
  });

  it('followProgress prints no "its progress does not answer" line while the outage is already said', async () => {
    let clock = 0;
    const printed: string[] = [];
    let resolve!: (v: string) => void;
    const result = new Promise<string>((r) => (resolve = r));
    let looks = 0;
    const done = followProgress(() => (++looks > 200 ? (resolve('ok'), Promise.reject(new Error('x'))) : Promise.reject(new Error('unavailable'))), result, 0, {
      now: () => clock,
      sleep: (ms) => ((clock += ms), Promise.resolve()),
      print: (l) => printed.push(l),
      quiet: () => true,
    });
    expect(await done).toBe('ok');
    expect(printed).toEqual([]);
  });
});

describe('what a killed `npm start` left running', () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const start = async () => {
    const child = spawn(process.execPath, ['-e', "setInterval(() => {}, 1000); console.log('ready')"], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    await once(child.stdout, 'data');
    return child;
  };

  it('its servers that still run, once no other npm start runs; records of the dead are removed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-left-'));
    dirs.push(dir);
    const temporal = await start();
    const deadStart = await start();
    recordProcess(dir, { kind: 'temporal', name: 'the Temporal dev server', pid: temporal.pid!, address: '127.0.0.1:7233' });
    recordProcess(dir, { kind: 'npm-start', name: 'npm start (the worker)', pid: deadStart.pid! });
    // Another npm start is running: its servers are its own.
    expect(leftRunning(dir)).toEqual([]);
    deadStart.kill('SIGKILL');
    await once(deadStart, 'exit');
    const left = leftRunning(dir);
    expect(left.map((r) => [r.kind, r.pid, r.address])).toEqual([['temporal', temporal.pid, '127.0.0.1:7233']]);
    expect(readRecords(dir).map((r) => r.kind)).toEqual(['temporal']);
    expect(existsSync(path.join(stackDir(dir), `npm-start-${deadStart.pid}.json`))).toBe(false);
    // This process's own record is not "another npm start".
    recordProcess(dir, { kind: 'npm-start', name: 'npm start (the worker)', pid: process.pid });
    expect(leftRunning(dir).map((r) => r.kind)).toEqual(['temporal']);
  });
});
