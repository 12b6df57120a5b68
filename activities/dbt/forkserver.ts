// The worker's side of the warm dbt (forkserver.py): starts it once, asks it for one forked dbt
// process per invocation, and streams that process's output back. If it cannot start (no Linux,
// no Python beside dbt), the runner starts dbt as a plain process instead.
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { PassThrough, type Readable } from 'node:stream';
import { execa, type ResultPromise } from 'execa';
import { PROJECT_ROOT } from '../../src/platform/config';

export const FORKSERVER_SCRIPT = path.join(PROJECT_ROOT, 'activities', 'dbt', 'forkserver.py');

export interface ForkedDbt {
  /** dbt's output, stdout and stderr together, without the server's own lines. */
  output: Readable;
  /** Resolves when the process has ended: its exit code, or -1 when a signal ended it. */
  exit: Promise<{ exitCode: number; pid: number | undefined; reusedParse: boolean; parsedBecause?: string }>;
  /** The forked process. */
  pid: number;
}

/** The server would not fork (it says why); the invocation should run as a plain process. */
export class WarmDbtRefused extends Error {}

/** The versions of dbt and its parts the server imported (null: not installed). */
export type DbtVersions = Record<string, string | null>;

export interface DbtForkServer {
  /** Rejects with WarmDbtRefused when the server will not fork, with an Error when it is gone. */
  run(request: { script: string; args: string[]; env: Record<string, string>; cwd: string; manifestKey?: string; signal?: AbortSignal }): Promise<ForkedDbt>;
  /**
   * Has the server parse the project itself (`dbt parse` with these arguments) and keep the
   * parse in memory for invocations sent with the same key, while nothing the parse depends on
   * has changed (files, --vars, the environment variables it read).
   */
  prepare(request: { args: string[]; env: Record<string, string>; cwd: string; key: string }): Promise<{ prepared: boolean; error?: string; threads?: string[] }>;
  close(): Promise<void>;
  /** Whether dbt's modules were imported ahead (false: `error` says why). */
  readonly preloaded: boolean;
  readonly error: string | undefined;
  /** dbt-core, dbt-adapters, dbt-postgres, dbt-common and Jinja2 as the server found them. */
  readonly versions: DbtVersions;
  /** The socket the server listens on (one connection per request). */
  readonly socketPath: string;
}

/** Starts the server with the venv's Python; rejects if it does not say it is ready in time. */
export async function startDbtForkServer(python: string, opts: { readyTimeoutMs?: number } = {}): Promise<DbtForkServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-dbt-'));
  const socketPath = path.join(dir, 'dbt.sock');
  const child: ResultPromise = execa(python, [FORKSERVER_SCRIPT, socketPath], {
    reject: false,
    cleanup: true,
    stdin: 'ignore',
    env: { ROAS_PARENT_PID: String(process.pid), PYTHONDONTWRITEBYTECODE: '1' },
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const ready = await waitUntilReady(child, stderr, opts.readyTimeoutMs ?? 60_000).catch((err: unknown) => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });

  let closed = false;
  void child.then(() => {
    closed = true;
  });

  const connect = async () => {
    if (closed) throw new Error('the warm dbt has stopped');
    const socket = net.createConnection(socketPath);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return socket;
  };

  return {
    preloaded: ready.preloaded,
    error: ready.error,
    versions: ready.versions,
    socketPath,
    prepare: (request) => prepareOne(connect, request),
    run: (request) => forkOne(connect, request),
    async close() {
      if (!closed) {
        child.kill('SIGTERM');
        await child;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type ServerReady = { preloaded: boolean; versions: DbtVersions; error?: string };

/** The server's "ready" line on its stdout; rejects when it exits first or takes longer than timeoutMs. */
function waitUntilReady(child: ResultPromise, stderr: string[], timeoutMs: number): Promise<ServerReady> {
  return new Promise<ServerReady>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`the warm dbt did not start within ${timeoutMs} ms`)), timeoutMs);
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { roas_forkserver?: string; preloaded?: boolean; versions?: DbtVersions; error?: string };
        if (msg.roas_forkserver === 'ready') {
          clearTimeout(timer);
          resolve({ preloaded: Boolean(msg.preloaded), versions: msg.versions ?? {}, ...(msg.error ? { error: msg.error } : {}) });
        }
      } catch {
        // not ours
      }
    });
    void child.then((result) => {
      clearTimeout(timer);
      reject(new Error(`the warm dbt exited (${result.exitCode ?? result.signal}) before it was ready: ${stderr.join('').trim().slice(-500)}`));
    });
  });
}

/** Asks the server to parse ahead for a command line; its answer, or "closed" when it hangs up. */
async function prepareOne(connect: () => Promise<net.Socket>, request: Parameters<DbtForkServer['prepare']>[0]): ReturnType<DbtForkServer['prepare']> {
  const socket = await connect();
  socket.write(JSON.stringify({ prepare: request }) + '\n');
  const lines = readline.createInterface({ input: socket });
  const answer = await new Promise<{ roas_prepared?: boolean; error?: string; threads?: string[] }>((resolve) => {
    let got: { roas_prepared?: boolean; error?: string; threads?: string[] } = { roas_prepared: false, error: 'the warm dbt closed the connection' };
    lines.on('line', (line) => {
      try {
        got = JSON.parse(line) as typeof got;
      } catch {
        // ignore
      }
    });
    lines.once('close', () => resolve(got));
    socket.on('error', () => socket.destroy());
  });
  return {
    prepared: answer.roas_prepared === true,
    ...(answer.error ? { error: answer.error } : {}),
    ...(Array.isArray(answer.threads) ? { threads: answer.threads } : {}),
  };
}

type RunRequest = Parameters<DbtForkServer['run']>[0];

/** One invocation: resolves once the child has said its PID (or the server has refused). */
async function forkOne(connect: () => Promise<net.Socket>, request: RunRequest): Promise<ForkedDbt> {
  const socket = await connect();
  socket.write(
    JSON.stringify({ script: request.script, args: request.args, env: request.env, cwd: request.cwd, ...(request.manifestKey ? { manifestKey: request.manifestKey } : {}) }) + '\n',
  );
  const output = new PassThrough();
  let pid: number | undefined;
  let exitCode = -1;
  let reusedParse = false;
  let parsedBecause: string | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const interrupt = () => {
    if (!pid) return;
    // SIGINT first: dbt cancels its open queries itself; SIGKILL if it has not stopped in 5 s.
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      return;
    }
    killTimer = setTimeout(() => {
      try {
        process.kill(pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5_000);
  };
  let started!: (refusal?: Error) => void;
  const first = new Promise<void>((resolve, reject) => {
    started = (refusal) => (refusal ? reject(refusal) : resolve());
  });
  const lines = readline.createInterface({ input: socket });
  const exit = new Promise<{ exitCode: number; pid: number | undefined; reusedParse: boolean; parsedBecause?: string }>((resolve) => {
    lines.on('line', (line) => {
      if (line.startsWith('{"roas_')) {
        try {
          const msg = JSON.parse(line) as { roas_pid?: number; roas_exit?: number; roas_reused_parse?: boolean; roas_refused?: string; roas_parsed_because?: string };
          if (typeof msg.roas_refused === 'string') return started(new WarmDbtRefused(msg.roas_refused));
          if (msg.roas_reused_parse) return void (reusedParse = true);
          if (typeof msg.roas_parsed_because === 'string') return void (parsedBecause = msg.roas_parsed_because);
          if (typeof msg.roas_pid === 'number') {
            pid = msg.roas_pid;
            started();
            if (request.signal?.aborted) interrupt();
            return;
          }
          if (typeof msg.roas_exit === 'number') return void (exitCode = msg.roas_exit);
        } catch {
          // dbt's own line that happens to look like ours
        }
      }
      output.write(line + '\n');
    });
    lines.once('close', () => {
      clearTimeout(killTimer);
      request.signal?.removeEventListener('abort', interrupt);
      output.end();
      started(pid ? undefined : new Error('the warm dbt closed the connection before forking'));
      resolve({ exitCode, pid, reusedParse, ...(parsedBecause ? { parsedBecause } : {}) });
    });
  });
  socket.on('error', () => socket.destroy());
  request.signal?.addEventListener('abort', interrupt, { once: true });
  await first;
  return { output, exit, pid: pid! };
}
