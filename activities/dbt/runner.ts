// Runs one dbt command as one child process (never one process per model), with an argument
// array (never a shell string), its own target path, and dbt's JSON log parsed line by line.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { PROJECT_ROOT } from '../../src/platform/config';
import { urlParts } from '../../src/platform/db/url';
import { dbtEnvironment } from './dbt-env';
import { startDbtForkServer, WarmDbtRefused, type DbtForkServer, type DbtVersions } from './forkserver';

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
  /**
   * The versions the warm dbt is known to work with, by distribution name (default: the pins of
   * requirements.txt). Any other dbt-core, dbt-adapters, dbt-postgres, dbt-common or Jinja2
   * runs plain until someone checks it and updates the pins.
   */
  pinnedVersions?: Record<string, string>;
}

/** Whether dbt is kept warm, with which versions, and why not when it is not. */
export interface WarmDbtStatus {
  warm: boolean;
  /** Steps start from a parse kept in memory (else each reads the saved parse). */
  keptParse: boolean;
  versions: DbtVersions;
  /** Why dbt runs plain, or why something of the warm dbt fell back (empty when all is well). */
  reasons: string[];
}

export type DbtRunner = (invocation: DbtInvocation, onEvent?: (event: DbtLogEvent) => void) => Promise<DbtProcessResult>;

/** A runner that may hold a warm dbt: close it when the worker stops. */
export interface ManagedDbtRunner extends DbtRunner {
  close(): Promise<void>;
  /** Whether invocations go through the warm dbt (known after the first one). */
  readonly warm: boolean;
  /** Starts the warm dbt if it is wanted and not started yet, and says how it went. */
  warmStatus(): Promise<WarmDbtStatus>;
}

/** The distributions the warm dbt depends on, checked against their pins. */
export const WARM_DBT_DISTRIBUTIONS = ['dbt-core', 'dbt-adapters', 'dbt-postgres', 'dbt-common', 'Jinja2'] as const;

/** `name==version` lines of a requirements file, by lower-case name. */
export function pinnedRequirements(file = path.join(PROJECT_ROOT, 'requirements.txt')): Record<string, string> {
  if (!existsSync(file)) return {};
  const pins: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*([A-Za-z0-9._-]+)\s*==\s*([^\s;#]+)/.exec(line);
    if (m) pins[m[1]!.toLowerCase()] = m[2]!;
  }
  return pins;
}

/** Why these versions are not the pinned set (undefined when they are). */
export function versionMismatch(versions: DbtVersions, pins: Record<string, string>): string | undefined {
  const lower = Object.fromEntries(Object.entries(pins).map(([k, v]) => [k.toLowerCase(), v]));
  const off = WARM_DBT_DISTRIBUTIONS.flatMap((name) => {
    const want = lower[name.toLowerCase()];
    const have = versions[name] ?? null;
    return want === have ? [] : [`${name} ${have ?? 'not installed'} (pinned: ${want ?? 'none'})`];
  });
  return off.length ? `not the pinned versions of requirements.txt: ${off.join(', ')}; dbt runs plain until these are checked and pinned` : undefined;
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
  const launch = dbtLauncher(opts.dbtBin);
  const python = path.join(path.dirname(opts.dbtBin), 'python');
  /** What every dbt process gets in its environment: the connection, the run's name and date, where to write. */
  const dbtEnv = (invocation: Pick<DbtInvocation, 'applicationName' | 'runDate' | 'targetPath'>): Record<string, string> => ({
    ...dbtEnvironment(opts, invocation),
    ROAS_PARENT_PID: String(process.pid),
  });
  // The kept parse is only for this project on this database (dbt writes the database and
  // schema of every model into its parse).
  const manifestKey = JSON.stringify([opts.projectDir, db.host, db.port, db.user, db.database]);
  const warmDbt = keepWarmDbt({ ...opts, python, manifestKey, parseEnv: (targetPath) => dbtEnv({ applicationName: 'roas-dbt-parse', targetPath }) });
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
    const proc = (await warmDbt.fork(invocation.command, args, env, invocation.signal)) ?? spawnDbt(launch(args), env, opts.projectDir, invocation.signal);

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
  return Object.defineProperties(run, {
    close: { value: warmDbt.close },
    warm: { get: () => warmDbt.inUse },
    warmStatus: { value: warmDbt.status },
  }) as ManagedDbtRunner;
}

interface WarmDbtOptions extends DbtRunnerOptions {
  python: string;
  /** Which project, database and login a kept parse is for. */
  manifestKey: string;
  /** The environment of the warm dbt's own parse, its scratch target path given. */
  parseEnv: (targetPath: string) => Record<string, string>;
}

/**
 * The runner's warm dbt (forkserver.py): started on first use, its parse kept, replaced (the old
 * one closed) if it dies, and given up for plain processes when it cannot be trusted, with the
 * reasons kept for the worker's log, /metrics and the dashboard.
 */
function keepWarmDbt(opts: WarmDbtOptions) {
  let server: Promise<DbtForkServer | undefined> | undefined;
  let current: DbtForkServer | undefined;
  let inUse = false;
  let prepared = false;
  let versions: DbtVersions = {};
  const reasons: string[] = [];
  const fellBack = (why: string) => {
    if (!reasons.includes(why)) {
      reasons.push(why);
      opts.onWarmUnavailable?.(new Error(why));
    }
  };
  const wanted = () => Boolean(opts.keepWarm) && process.platform === 'linux' && existsSync(opts.python);
  const start = async (): Promise<DbtForkServer | undefined> => {
    const old = current;
    current = undefined;
    await old?.close().catch(() => undefined);
    const started = await startAndPrepare(opts, fellBack);
    versions = started.versions;
    prepared = started.prepared;
    current = started.server;
    return current;
  };
  /** The invocation started through the warm dbt, or undefined to start it plainly. */
  const fork = async (command: DbtCommand, args: string[], env: Record<string, string>, signal: AbortSignal | undefined): Promise<StartedDbt | undefined> => {
    if (!wanted()) return undefined;
    server ??= start();
    const used = server;
    let forkServer = await used;
    if (!forkServer) return undefined;
    const request = { script: opts.dbtBin, args, env, cwd: opts.projectDir, signal, ...(prepared && KEPT_PARSE_COMMANDS.has(command) ? { manifestKey: opts.manifestKey } : {}) };
    let forked;
    try {
      forked = await forkServer.run(request);
    } catch (err) {
      if (err instanceof WarmDbtRefused) {
        fellBack(err.message);
        return undefined;
      }
      // The warm dbt died (killed, out of memory): replace it once (unless a step running beside
      // this one already has), else go plain.
      if (server === used) server = start();
      forkServer = await server;
      if (!forkServer) return undefined;
      forked = await forkServer.run(request).catch(() => undefined);
      if (!forked) return undefined;
    }
    inUse = true;
    return {
      output: forked.output,
      stderr: () => '',
      done: forked.exit.then(({ exitCode, reusedParse }) => ({ exitCode, cancelled: Boolean(signal?.aborted), reusedParse })),
    };
  };
  const status = async (): Promise<WarmDbtStatus> => {
    if (!wanted()) {
      const why = !opts.keepWarm ? 'not asked to keep dbt warm (a one-off command)' : process.platform !== 'linux' ? 'the warm dbt needs Linux' : "no Python beside the dbt program";
      return { warm: false, keptParse: false, versions, reasons: [why] };
    }
    server ??= start();
    const forkServer = await server;
    return { warm: Boolean(forkServer), keptParse: Boolean(forkServer) && prepared, versions, reasons: [...reasons] };
  };
  const close = async () => {
    const forkServer = await server;
    server = undefined;
    current = undefined;
    await forkServer?.close();
  };
  return { fork, status, close, get inUse() { return inUse; } };
}

/** Starts a warm dbt and has it keep a parse; no server (with the reason told) when it cannot be trusted. */
async function startAndPrepare(opts: WarmDbtOptions, fellBack: (why: string) => void): Promise<{ server?: DbtForkServer; prepared: boolean; versions: DbtVersions }> {
  let started: DbtForkServer;
  try {
    started = await startDbtForkServer(opts.python);
  } catch (err) {
    fellBack(`the warm dbt could not start: ${(err as Error).message}`);
    return { prepared: false, versions: {} };
  }
  const versions = started.versions;
  const refusal = !started.preloaded ? (started.error ?? 'dbt could not be imported') : versionMismatch(versions, opts.pinnedVersions ?? pinnedRequirements());
  if (refusal) {
    fellBack(refusal);
    await started.close();
    return { prepared: false, versions };
  }
  // Parse once inside the warm dbt and keep the result: the steps then skip reading and
  // checking a saved parse as well. If this fails, each step parses as dbt always does.
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'roas-dbt-parse-'));
  const args = ['parse', '--project-dir', opts.projectDir, '--profiles-dir', opts.projectDir, '--log-format', 'json', '--log-path', path.join(scratch, 'logs'), '--no-use-colors'];
  const answer = await started.prepare({ args, env: opts.parseEnv(scratch), cwd: opts.projectDir, key: opts.manifestKey });
  rmSync(scratch, { recursive: true, force: true });
  if (!answer.prepared) fellBack(`the warm dbt could not keep a parse of the project (${answer.error ?? 'no reason given'}); each step reads the saved parse instead`);
  if (answer.threads) fellBack(`the warm dbt runs ${answer.threads.length} threads after parsing (${answer.threads.join(', ')}): it will not fork, every step runs plain`);
  return { server: started, prepared: answer.prepared, versions };
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
