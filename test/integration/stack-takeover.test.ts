// The Temporal dev server a killed `npm start` left running, as the next `npm start` finds it
// (real dev servers, in a local folder of the test's own): taken over when it answers (and then
// stopped by whoever took it over); replaced by a new one when its process is alive but it does
// not answer (stopped with SIGSTOP: half-dead), and `roas stack status` calls that half-dead.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/platform/logger';
import { liveness } from '../../src/local/stack/liveness';
import { readRecords, recordProcess, recordState, stopRecorded } from '../../src/local/stack/pids';
import { ephemeralPort } from '../../src/local/stack/ports';
import { spawnDevServer, startTemporal, temporalAnswers } from '../../src/local/stack/temporal';
import { venvTools } from '../../src/platform/tools';
import { testConfig } from '../helpers/config';

const log = createLogger('warn', 'test');
const binary = venvTools(testConfig().venvDir).temporal;

describe('a dev server left running by a killed npm start', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) {
      await stopRecorded(d, { timeoutMs: () => 10_000 });
      rmSync(d, { recursive: true, force: true });
    }
  }, 60_000);

  /** A dev server started and recorded as `npm start` does, in its own local folder. */
  async function leftServer() {
    const localDir = mkdtempSync(path.join(os.tmpdir(), 'roas-takeover-'));
    dirs.push(localDir);
    const [port, uiPort] = await Promise.all([ephemeralPort(), ephemeralPort()]);
    const config = testConfig({ ROAS_LOCAL_DIR: localDir, TEMPORAL_PORT: String(port), TEMPORAL_UI_PORT: String(uiPort) });
    const server = await spawnDevServer({ binary, port, logFile: path.join(localDir, 'temporal', 'server.log'), outliveParent: true });
    const address = `127.0.0.1:${port}`;
    expect(recordProcess(localDir, { kind: 'temporal', name: 'the Temporal dev server', pid: server.pid!, detail: address, address })).toBe(true);
    const record = readRecords(localDir)[0]!;
    return { config, record, address };
  }

  it('answering: taken over (same process), and stopped by the npm start that took it over', async () => {
    const { config, record, address } = await leftServer();
    const handle = await startTemporal(config, binary, log, record);
    expect(handle).toMatchObject({ address, startedByUs: true, pid: record.pid });
    expect((await liveness(record)).answering).toBe(true);
    await handle.stop();
    expect(recordState(record).state).toBe('gone');
    expect(readRecords(config.localDir)).toEqual([]);
  }, 120_000);

  it('alive but not answering (half-dead): status says so, and it is stopped and replaced by a new server', async () => {
    const { config, record, address } = await leftServer();
    process.kill(record.pid, 'SIGSTOP');
    const live = await liveness(record);
    expect(live).toEqual({
      answering: false,
      line: `its process is alive but it does not answer at ${address} (half-dead): the next \`npm start\` replaces it, or \`roas stack stop\` stops it`,
    });
    const handle = await startTemporal(config, binary, log, record);
    try {
      expect(handle.startedByUs).toBe(true);
      expect(handle.pid).not.toBe(record.pid);
      expect(recordState(record).state).toBe('gone');
      expect(await temporalAnswers(address, 5_000, 'default')).toBe(true);
    } finally {
      await handle.stop();
    }
  }, 180_000);
});
