// The Temporal server for the local stack: the one named by TEMPORAL_ADDRESS, the dev server a
// previous `npm start` left running (taken over if it answers, replaced if not), one already
// answering on the local port, or a dev server we start with its SQLite file under .local/.
import { spawn } from 'node:child_process';
import { closeSync, createWriteStream, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { execa } from 'execa';
import type { Config } from '../../platform/config';
import { BootstrapError } from '../../core/errors';
import type { Logger } from '../../platform/logger';
import { stopRecordedProcess, type ProcessRecord } from './pids';
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

/**
 * True when a Temporal frontend answers at the address (and, given a namespace, knows it): a
 * process that holds the port but does not answer, or answers without the namespace, is not a
 * server a worker can use.
 */
export async function temporalAnswers(address: string, timeoutMs = 2000, namespace?: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    const deadline = () => new Date(Date.now() + timeoutMs);
    await connection.withDeadline(deadline(), () => connection!.workflowService.getSystemInfo({}));
    if (namespace) await connection.withDeadline(deadline(), () => connection!.workflowService.describeNamespace({ namespace }));
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => {});
  }
}

/** Asks a few times, for a server that is merely busy: false only when it never answered. */
async function answersWithin(address: string, namespace: string, tries = 3): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await temporalAnswers(address, 5000, namespace)) return true;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return false;
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
  /**
   * Keep running if this process dies without stopping it (`npm start` killed with -9), for the
   * next `npm start` to take over: its output goes straight to the log file (a pipe to a dead
   * parent would kill it at its next log line, SIGPIPE) and it has its own process group (a
   * Ctrl-C in the terminal reaches `npm start`, which stops the worker first, then the server).
   * Unset (tests): it is stopped when this process exits.
   */
  outliveParent?: boolean;
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
  const child = opts.outliveParent ? spawnOwnGroup(opts.binary, args, opts.logFile) : spawnTied(opts.binary, args, opts.logFile);
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await child.exited;
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

interface DevServerProcess {
  pid: number | undefined;
  kill(signal: NodeJS.Signals): void;
  exited: Promise<unknown>;
}

/** Output piped through this process; stopped when it exits. */
function spawnTied(binary: string, args: string[], logFile: string): DevServerProcess {
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = execa(binary, args, { reject: false, stdin: 'ignore', cleanup: true });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return { pid: child.pid, kill: (sig) => child.kill(sig), exited: child.then(() => undefined) };
}

/** Output straight to the log file, in its own process group: it outlives this process. */
function spawnOwnGroup(binary: string, args: string[], logFile: string): DevServerProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(binary, args, { stdio: ['ignore', fd, fd], detached: true });
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    return {
      pid: child.pid,
      kill: (sig) => {
        child.kill(sig);
      },
      exited,
    };
  } finally {
    closeSync(fd);
  }
}

/**
 * The dev server a previous `npm start` left running (it was killed with -9): taken over when it
 * answers, so this `npm start` stops it on the way out as if it had started it; stopped and
 * replaced by a new one when it does not (half-dead: its PID alive, its frontend silent).
 */
async function takeOver(config: Config, left: ProcessRecord, log: Logger): Promise<TemporalHandle | undefined> {
  const address = `127.0.0.1:${config.temporal.port}`;
  if (await answersWithin(address, config.temporal.namespace)) {
    log.info({ address, serverPid: left.pid }, 'taking over the Temporal dev server a previous npm start left running');
    return {
      address,
      uiUrl: config.temporal.uiUrl,
      startedByUs: true,
      pid: left.pid,
      stop: async () => {
        await stopRecordedProcess(config.localDir, left, { timeoutMs: 15_000 });
      },
    };
  }
  log.warn({ address, serverPid: left.pid }, 'the Temporal dev server a previous npm start left running does not answer: stopping it and starting a new one');
  if (!(await stopRecordedProcess(config.localDir, left, { timeoutMs: 5_000 }))) {
    throw new BootstrapError(`The Temporal dev server left by a previous \`npm start\` (pid ${left.pid}) does not answer and could not be stopped: stop it yourself, then start again.`);
  }
  return undefined;
}

export async function startTemporal(config: Config, temporalBinary: string, log: Logger, left?: ProcessRecord): Promise<TemporalHandle> {
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
  // Left on another port (TEMPORAL_PORT changed since): not this stack's server any more; `roas stack stop` stops it.
  if (left && (left.address ?? left.detail) === address) {
    const taken = await takeOver(config, left, log);
    if (taken) return taken;
  }
  if (!(await isPortFree(t.port))) {
    if (await answersWithin(address, t.namespace)) {
      log.info({ address }, 'reusing the Temporal server that is already running');
      return { address, uiUrl: t.uiUrl, startedByUs: false, stop: async () => {} };
    }
    if (await temporalAnswers(address)) {
      throw new BootstrapError(
        `Temporal at ${address} answers but has no namespace "${t.namespace}" (TEMPORAL_NAMESPACE).\n` +
          `Create it (temporal operator namespace create --address ${address} ${t.namespace}), or set TEMPORAL_PORT to a free port for a dev server of this project's own.`,
      );
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
    outliveParent: true,
  });
  log.info({ address, ui: t.uiUrl }, 'started the Temporal dev server');
  return { address, uiUrl: t.uiUrl, startedByUs: true, pid: server.pid, stop: () => server.stop() };
}
