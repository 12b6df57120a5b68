// The Temporal server for the local stack: the one named by TEMPORAL_ADDRESS, one already
// answering on the local port, or a dev server we start with its SQLite file under .local/.
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { execa } from 'execa';
import type { Config } from '../config';
import { BootstrapError } from '../core/errors';
import type { Logger } from '../logger';
import { isPortFree, waitUntil } from './ports';

export interface TemporalHandle {
  address: string;
  /** Web UI address, when known. */
  uiUrl: string | undefined;
  startedByUs: boolean;
  /** The dev server's process, when we started it. */
  pid?: number;
  stop(): Promise<void>;
}

/** True when a Temporal frontend answers at the address. */
export async function temporalAnswers(address: string, timeoutMs = 2000): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => {});
  }
}

export interface DevServerOptions {
  binary: string;
  port: number;
  /** Omit for a headless server (tests). */
  uiPort?: number;
  /** Omit for an in-memory server (tests). */
  dbFile?: string;
  logFile: string;
  namespace?: string;
}

/** Spawns `temporal server start-dev` and waits until it answers. */
export async function spawnDevServer(opts: DevServerOptions): Promise<{ pid: number | undefined; stop(): Promise<void> }> {
  const address = `127.0.0.1:${opts.port}`;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--log-level', 'warn'];
  if (opts.uiPort !== undefined) args.push('--ui-port', String(opts.uiPort));
  else args.push('--headless');
  if (opts.dbFile) {
    mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  if (opts.namespace && opts.namespace !== 'default') args.push('--namespace', opts.namespace);
  mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const child = execa(opts.binary, args, { reject: false, stdin: 'ignore', cleanup: true });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let exited = false;
  void child.then(() => {
    exited = true;
  });
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await child;
    clearTimeout(timer);
  };
  try {
    await waitUntil(`the Temporal dev server at ${address}`, async () => {
      if (exited) throw new Error('exited');
      return temporalAnswers(address, 1000);
    });
  } catch {
    await stop();
    throw new BootstrapError(`The Temporal dev server did not start on ${address}; see ${opts.logFile}.`);
  }
  return { pid: child.pid, stop };
}

export async function startTemporal(config: Config, temporalBinary: string, log: Logger): Promise<TemporalHandle> {
  const t = config.temporal;
  if (t.address) {
    if (!(await temporalAnswers(t.address, 5000))) {
      throw new BootstrapError(
        `Temporal is not reachable at TEMPORAL_ADDRESS=${t.address}.\n` +
          'Start that server, fix the address, or unset TEMPORAL_ADDRESS to run the local dev server.',
      );
    }
    return { address: t.address, uiUrl: config.temporal.uiUrl, startedByUs: false, stop: async () => {} };
  }
  const address = `127.0.0.1:${t.port}`;
  if (!(await isPortFree(t.port))) {
    if (await temporalAnswers(address)) {
      log.info({ address }, 'reusing the Temporal server that is already running');
      return { address, uiUrl: t.uiUrl, startedByUs: false, stop: async () => {} };
    }
    throw new BootstrapError(
      `TEMPORAL_PORT=${t.port}: port ${t.port} on 127.0.0.1 is in use by a program that is not Temporal.\n` +
        'Stop that program or set TEMPORAL_PORT (and TEMPORAL_UI_PORT) to free ports.',
    );
  }
  if (!(await isPortFree(t.uiPort))) {
    throw new BootstrapError(
      `TEMPORAL_UI_PORT=${t.uiPort}: port ${t.uiPort} on 127.0.0.1 is already in use.\n` +
        'Stop the program using it or set TEMPORAL_UI_PORT to a free port.',
    );
  }
  const dir = path.join(config.localDir, 'temporal');
  const server = await spawnDevServer({
    binary: temporalBinary,
    port: t.port,
    uiPort: t.uiPort,
    dbFile: path.join(dir, 'temporal.db'),
    logFile: path.join(dir, 'server.log'),
    namespace: t.namespace,
  });
  log.info({ address, ui: t.uiUrl }, 'started the Temporal dev server');
  return { address, uiUrl: t.uiUrl, startedByUs: true, pid: server.pid, stop: () => server.stop() };
}
