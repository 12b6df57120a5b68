// `roas run --wait` while its Temporal server stops and comes back (a dev server of the test's
// own, its state in a file): one line says the server is not answering, one that it answers
// again, and the command goes on following the run to its end; never a gRPC stack trace.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/platform/config';
import { workflowIds } from '../../src/core/signals';
import { ensureSearchAttributes } from '../../src/platform/search-attributes';
import { ephemeralPort } from '../../src/local/stack/ports';
import { spawnDevServer } from '../../src/local/stack/temporal';
import { venvTools } from '../../src/platform/tools';
import { testConfig } from '../helpers/config';
import { eventually } from '../helpers/temporal';

const roas = path.join(PROJECT_ROOT, 'bin', 'roas');
const binary = venvTools(testConfig().venvDir).temporal;

describe('roas run --wait through a Temporal outage', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-outage-'));
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const stop of stops) await stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('says the server is not answering, then that it answers again, and follows the run to its end', async () => {
    const port = await ephemeralPort();
    const address = `127.0.0.1:${port}`;
    const server = () => spawnDevServer({ binary, port, dbFile: path.join(dir, 'temporal.db'), logFile: path.join(dir, 'server.log') });
    const first = await server();
    stops.push(() => first.stop());
    const native = await NativeConnection.connect({ address });
    await ensureSearchAttributes(native, 'default');
    await native.close();

    // No worker: the run waits in Temporal; all the command can do is follow it.
    const runDate = '2025-03-09';
    const out: string[] = [];
    const cli = execa(roas, ['run', 'dbt', '--date', runDate, '--wait'], {
      reject: false,
      all: true,
      env: { TEMPORAL_ADDRESS: address, TEMPORAL_TASK_QUEUE: `outage-${port}`, LOG_LEVEL: 'warn' },
    });
    cli.all.on('data', (chunk: Buffer) => out.push(chunk.toString()));
    await eventually('the run to start', () => Promise.resolve(out.join('').includes(`started ${workflowIds.dbtDailyRun(runDate)}`)), 60_000);

    await first.stop();
    await eventually('the command to say Temporal is not answering', () => Promise.resolve(out.join('').includes(`Temporal at ${address} is not answering`)), 90_000, 200);
    const second = await server();
    stops.push(() => second.stop());
    await eventually('the command to say Temporal answers again', () => Promise.resolve(out.join('').includes(`Temporal at ${address} answers again`)), 90_000, 200);

    // The run ends (terminated here): the command reports it as it would have without the outage.
    const connection = await Connection.connect({ address });
    try {
      await new Client({ connection }).workflow.getHandle(workflowIds.dbtDailyRun(runDate)).terminate('test: the outage is over');
    } finally {
      await connection.close();
    }
    const ended = await cli;
    const text = out.join('');
    expect(ended.exitCode, text).toBe(1);
    expect(text).toMatch(/failed: .*terminated|failed: test: the outage is over/i);
    expect(text).not.toMatch(/UNAVAILABLE|\n\s+at /);
    expect(text.split('\n').filter((l) => l.includes('is not answering'))).toHaveLength(1);
  }, 300_000);
});
