// Runs one dbt command as one child process (never one process per model), with an argument
// array (never a shell string), its own target path, and dbt's JSON log parsed line by line.
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { urlParts } from '../../src/db/url';
import { startDbtForkServer, type DbtForkServer } from './forkserver';

export type DbtCommand = 'debug' | 'parse' | 'run' | 'test' | 'build' | 'seed' | 'retry' | 'show';

export interface DbtInvocation {
  command: DbtCommand;
  /** Where dbt writes manifest.json, run_results.json and its log; one per date and step. */
  targetPath: string;
  select?: string[];
  /** The UTC day the models and tests work on, YYYY-MM-DD; reaches dbt as ROAS_RUN_DATE (run time, not parse time). */
  runDate?: string;
  vars?: Record<string, unknown>;
  extraArgs?: string[];
  /** Names the run's PostgreSQL sessions (pg_stat_activity.application_name). */
  applicationName?: string;
  signal?: AbortSignal;
}

/** One line of dbt's `--log-format json` output, the parts we use. */
export interface DbtLogEvent {
  name: string;
  level: string;
  msg: string;
  data: Record<string, unknown>;
}

export interface DbtProcessResult {
  command: DbtCommand;
  args: string[];
  /** dbt's exit code; -1 when it was killed by a signal (or the warm dbt's child died) before it could exit. */
  exitCode: number;
  durationMs: number;
  /** Events at warn level and above, and the final summary lines. */
  notable: DbtLogEvent[];
  /** Text dbt printed that was not JSON (tracebacks, pip warnings). */
  rawOutput: string;
  dbtVersion: string | undefined;
  cancelled: boolean;
  /** Started from the warm dbt's parse in memory (no parse, no saved parse read). */
  reusedParse?: boolean;
}

export interface DbtRunnerOptions {
  dbtBin: string;
  projectDir: string;
  databaseUrl: string;
  /**
   * The role dbt's sessions act as, so what it builds belongs to that role (the owner of
   * analytics), not to the login that built it. Unset: the login's own.
   */
  role?: string;
  threads: number;
  /**
   * A saved dbt parse (partial_parse.msgpack) every invocation starts from, made by
   * `saveSharedParse`; dbt re-parses only the files that changed since, usually none.
   */
  sharedParseFile?: string;
  /**
   * Keep a warm dbt (forkserver.py) that has imported dbt once and forks a fresh process per
   * invocation, saving dbt's start-up on every step. For the long-lived worker; a one-off
   * command starts dbt plainly. Falls back to plain processes if the warm dbt cannot start.
   */
  keepWarm?: boolean;
  /** Told once if the warm dbt could not start (the runner then starts dbt plainly). */
  onWarmUnavailable?: (err: Error) => void;
}

export type DbtRunner = (invocation: DbtInvocation, onEvent?: (event: DbtLogEvent) => void) => Promise<DbtProcessResult>;

/** A runner that may hold a warm dbt: close it when the worker stops. */
export interface ManagedDbtRunner extends DbtRunner {
  close(): Promise<void>;
  /** Whether invocations go through the warm dbt (known after the first one). */
  readonly warm: boolean;
}

/** One running dbt, however it was started: its output (JSON lines) and how it ended. */
interface StartedDbt {
  output: Readable;
  stderr: () => string;
  done: Promise<{ exitCode: number; cancelled: boolean; reusedParse?: boolean }>;
}

/** Commands that can start from the warm dbt's kept parse (the others parse or need none). */
const KEPT_PARSE_COMMANDS = new Set<DbtCommand>(['build', 'run', 'test', 'seed', 'show']);

// dbt must not outlive the worker that started it. `cleanup` covers a worker that exits; a
// worker killed with SIGKILL runs no code at all, so dbt is started through the venv's Python,
// which asks Linux to send it SIGINT when its parent dies (prctl PR_SET_PDEATHSIG, kept across
// exec) and then becomes dbt. SIGINT makes dbt cancel its open queries and stop. Where prctl does
// not exist (macOS), dbt starts as it would anyway.
const PARENT_DEATH_EXEC = [
  'import ctypes, os, signal, sys',
  'try:',
  '    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGINT))',
  'except (AttributeError, OSError):',
  '    pass',
  "if str(os.getppid()) != os.environ.get('ROAS_PARENT_PID', str(os.getppid())):",
  '    sys.exit(130)',
  'os.execv(sys.argv[1], sys.argv[1:])',
].join('\n');

/** How this runner starts dbt: through the parent-death guard when the venv's Python is beside it. */
function dbtLauncher(dbtBin: string): (args: string[]) => { file: string; args: string[] } {
  const python = path.join(path.dirname(dbtBin), 'python');
  if (process.platform !== 'linux' || !existsSync(python)) return (args) => ({ file: dbtBin, args });
  return (args) => ({ file: python, args: ['-c', PARENT_DEATH_EXEC, dbtBin, ...args] });
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

function spawnDbt(command: { file: string; args: string[] }, env: Record<string, string>, cwd: string, signal: AbortSignal | undefined): StartedDbt {
  const child = execa(command.file, command.args, {
    reject: false,
    cwd,
    cancelSignal: signal,
    // On cancellation dbt gets SIGINT first, which makes it cancel its open queries itself,
    // then SIGKILL after 5 s. `cleanup` kills it too if the worker process exits.
    killSignal: 'SIGINT',
    cleanup: true,
    forceKillAfterDelay: 5_000,
    env,
  });
  const stderr: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  return {
    output: child.stdout,
    stderr: () => stderr.join(''),
    // -1: killed by a signal (out of memory, an operator); 127: dbt could not be started at all.
    done: child.then((result) => {
      if (result.exitCode === undefined && !result.signal) stderr.push(`dbt could not be started: ${result.shortMessage}`);
      return { exitCode: result.exitCode ?? (result.signal ? -1 : 127), cancelled: result.isCanceled };
    }),
  };
}

export function createDbtRunner(opts: DbtRunnerOptions): ManagedDbtRunner {
  const db = urlParts(opts.databaseUrl);
  // TLS settings of the URL reach dbt too: sslmode through the profile, the files through libpq's variables.
  const tls = new URL(opts.databaseUrl).searchParams;
  const libpqTls = Object.fromEntries(
    (
      [
        ['sslrootcert', 'PGSSLROOTCERT'],
        ['sslcert', 'PGSSLCERT'],
        ['sslkey', 'PGSSLKEY'],
      ] as const
    ).flatMap(([param, variable]) => (tls.get(param) ? [[variable, tls.get(param)!]] : [])),
  );
  const launch = dbtLauncher(opts.dbtBin);
  const python = path.join(path.dirname(opts.dbtBin), 'python');
  let server: Promise<DbtForkServer | undefined> | undefined;
  let warmInUse = false;
  /** What every dbt process gets in its environment: the connection, the run's name and date, where to write. */
  const dbtEnv = (invocation: Pick<DbtInvocation, 'applicationName' | 'runDate' | 'targetPath'>): Record<string, string> => ({
    DBT_PG_HOST: db.host,
    DBT_PG_PORT: String(db.port),
    DBT_PG_USER: db.user,
    DBT_PG_PASSWORD: db.password,
    DBT_PG_DBNAME: db.database,
    // The session's role from its first statement on (libpq's startup options): a SET ROLE
    // (dbt's profile `role`) would be undone by the first ROLLBACK of its transaction, and a table
    // built after it would belong to the login, which the owner role cannot then read.
    ...(opts.role ? { PGOPTIONS: `-c role=${opts.role}` } : {}),
    DBT_PG_SSLMODE: tls.get('sslmode') ?? '',
    ...libpqTls,
    // Not in the profile (dbt hashes the profile, and a name per run would force a full
    // parse every time): libpq reads it from the environment.
    PGAPPNAME: invocation.applicationName ?? 'roas-dbt',
    ...(invocation.runDate ? { ROAS_RUN_DATE: invocation.runDate } : {}),
    ...(opts.sharedParseFile && existsSync(opts.sharedParseFile) ? { DBT_PARTIAL_PARSE_FILE_PATH: opts.sharedParseFile } : {}),
    DBT_THREADS: String(opts.threads),
    DBT_TARGET_PATH: invocation.targetPath,
    DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
    DBT_VERSION_CHECK: 'false',
    DBT_PARTIAL_PARSE: 'true',
    ROAS_PARENT_PID: String(process.pid),
  });
  // The kept parse is only for this project on this database (dbt writes the database and
  // schema of every model into its parse).
  const manifestKey = JSON.stringify([opts.projectDir, db.host, db.port, db.user, db.database]);
  let prepared = false;
  const startServer = async (): Promise<DbtForkServer | undefined> => {
    try {
      const started = await startDbtForkServer(python);
      // Parse once inside the warm dbt and keep the result: the steps then skip reading and
      // checking a saved parse as well. If this fails, each step parses as dbt always does.
      const scratch = mkdtempSync(path.join(os.tmpdir(), 'roas-dbt-parse-'));
      const args = ['parse', '--project-dir', opts.projectDir, '--profiles-dir', opts.projectDir, '--log-format', 'json', '--log-path', path.join(scratch, 'logs'), '--no-use-colors'];
      const answer = await started.prepare({ args, env: dbtEnv({ applicationName: 'roas-dbt-parse', targetPath: scratch }), cwd: opts.projectDir, key: manifestKey });
      rmSync(scratch, { recursive: true, force: true });
      prepared = answer.prepared;
      if (!prepared) opts.onWarmUnavailable?.(new Error(`the warm dbt could not keep a parse of the project (${answer.error ?? 'no reason given'}); each step reads the saved parse instead`));
      return started;
    } catch (err) {
      opts.onWarmUnavailable?.(err as Error);
      return undefined;
    }
  };
  /** The invocation started through the warm dbt, or undefined to start it plainly. */
  const warm = async (command: DbtCommand, args: string[], env: Record<string, string>, signal: AbortSignal | undefined): Promise<StartedDbt | undefined> => {
    if (!opts.keepWarm || process.platform !== 'linux' || !existsSync(python)) return undefined;
    server ??= startServer();
    let forkServer = await server;
    if (!forkServer) return undefined;
    const request = () => ({
      script: opts.dbtBin,
      args,
      env,
      cwd: opts.projectDir,
      signal,
      ...(prepared && KEPT_PARSE_COMMANDS.has(command) ? { manifestKey } : {}),
    });
    let forked;
    try {
      forked = await forkServer.run(request());
    } catch {
      // The warm dbt died (killed, out of memory): start a new one once, else go plain.
      server = startServer();
      forkServer = await server;
      if (!forkServer) return undefined;
      forked = await forkServer.run(request());
    }
    warmInUse = true;
    return {
      output: forked.output,
      stderr: () => '',
      done: forked.exit.then(({ exitCode, reusedParse }) => ({ exitCode, cancelled: Boolean(signal?.aborted), reusedParse })),
    };
  };
  const run: DbtRunner = async (invocation, onEvent) => {
    mkdirSync(invocation.targetPath, { recursive: true });
    const args = [
      invocation.command,
      '--project-dir',
      opts.projectDir,
      '--profiles-dir',
      opts.projectDir,
      '--log-format',
      'json',
      // dbt.log stays readable text for `roas logs`; stdout is JSON for the worker to parse.
      '--log-format-file',
      'text',
      '--log-path',
      path.join(invocation.targetPath, 'logs'),
      '--no-use-colors',
      '--no-use-colors-file',
    ];
    if (invocation.select?.length) args.push('--select', ...invocation.select);
    if (invocation.vars) args.push('--vars', JSON.stringify(invocation.vars));
    args.push(...(invocation.extraArgs ?? []));

    const env = dbtEnv(invocation);
    const started = Date.now();
    const proc = (await warm(invocation.command, args, env, invocation.signal)) ?? spawnDbt(launch(args), env, opts.projectDir, invocation.signal);

    const notable: DbtLogEvent[] = [];
    const raw: string[] = [];
    let dbtVersion: string | undefined;
    const lines = readline.createInterface({ input: proc.output });
    const lineReaderDone = new Promise<void>((resolve) => lines.once('close', resolve));
    lines.on('line', (line) => {
      const event = parseLine(line);
      if (!event) {
        if (line.trim()) raw.push(line);
        return;
      }
      if (event.name === 'MainReportVersion' && typeof event.data.version === 'string') dbtVersion = event.data.version.replace(/^=/, '');
      if (event.level === 'warn' || event.level === 'error' || event.name.endsWith('Result')) notable.push(event);
      onEvent?.(event);
    });
    const ended = await proc.done;
    await lineReaderDone;
    return {
      command: invocation.command,
      args,
      exitCode: ended.exitCode,
      durationMs: Date.now() - started,
      notable,
      rawOutput: [...raw, proc.stderr()].filter(Boolean).join('\n'),
      dbtVersion,
      cancelled: ended.cancelled,
      reusedParse: ended.reusedParse ?? false,
    };
  };
  const close = async () => {
    const forkServer = await server;
    server = undefined;
    await forkServer?.close();
  };
  return Object.defineProperties(run, {
    close: { value: close },
    warm: { get: () => warmInUse },
  }) as ManagedDbtRunner;
}

/**
 * Parses the project once (`dbt parse`) and keeps dbt's saved parse where every later
 * invocation finds it. Written aside and renamed, so a dbt starting meanwhile reads the old file
 * or the new one, never half of one.
 */
export async function saveSharedParse(runner: DbtRunner, sharedParseFile: string): Promise<DbtProcessResult> {
  const targetPath = path.join(path.dirname(sharedParseFile), `parse-${process.pid}-${Date.now()}`);
  const result = await runner({ command: 'parse', targetPath, applicationName: 'roas-dbt-parse' });
  const saved = path.join(targetPath, 'partial_parse.msgpack');
  if (result.exitCode === 0 && existsSync(saved)) renameSync(saved, sharedParseFile);
  rmSync(targetPath, { recursive: true, force: true });
  return result;
}

/**
 * Loads the seeds (campaigns, FX rates) once, at worker start: their tables then exist before
 * any run, so two dates building at once on a new database (a first backfill) never both try to
 * create them. Each run's build loads them again as before.
 */
export async function loadSeedsAtStart(runner: DbtRunner, artifactsDir: string): Promise<DbtProcessResult> {
  const targetPath = path.join(artifactsDir, 'worker-start', `seed-${process.pid}-${Date.now()}`);
  const result = await runner({ command: 'seed', targetPath, applicationName: 'roas-dbt-seed' });
  if (result.exitCode === 0) rmSync(targetPath, { recursive: true, force: true });
  return result;
}

function parseLine(line: string): DbtLogEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as { info?: { name?: string; level?: string; msg?: string }; data?: Record<string, unknown> };
    if (!parsed.info?.name) return undefined;
    return {
      name: parsed.info.name,
      level: parsed.info.level ?? 'info',
      msg: (parsed.info.msg ?? '').replace(ANSI, ''),
      data: parsed.data ?? {},
    };
  } catch {
    return undefined;
  }
}
