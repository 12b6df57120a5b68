// The processes `npm start` started, recorded so `roas stack stop` can stop them and nothing else:
// one file per process under <localDir>/stack/, with the program's command line and start time as
// the system reported them when it was recorded. A process is signalled only while its PID still
// shows that same command line and start time, so a PID the system has since given to another
// program (anyone's) is never signalled. Nothing here finds processes by name.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** In the order they are stopped: `npm start` first (it stops what it started itself), then the servers. */
export const STACK_KINDS = ['npm-start', 'temporal', 'postgres'] as const;
export type StackKind = (typeof STACK_KINDS)[number];

export interface ProcessIdentity {
  /** The command line, one element per argument (one element in all where only `ps` can tell). */
  argv: string[];
  /** When the process started, as the system tells it (clock ticks since boot on Linux). */
  startTime: string;
}

export interface ProcessRecord extends ProcessIdentity {
  kind: StackKind;
  /** For people: "the Temporal dev server", "PostgreSQL". */
  name: string;
  pid: number;
  /** How it stops cleanly: SIGTERM, or SIGINT for PostgreSQL's fast shutdown. */
  stopSignal: NodeJS.Signals;
  /** Where it is: an address, a data directory. */
  detail: string;
  /** Where it answers, for a liveness check: host:port (Temporal, PostgreSQL) or the worker's health URL. */
  address?: string;
  recordedAt: string;
}

export function stackDir(localDir: string): string {
  return path.join(localDir, 'stack');
}

const recordFile = (localDir: string, kind: StackKind, pid: number) => path.join(stackDir(localDir), `${kind}-${pid}.json`);

/** The command line and start time of a running process; undefined when there is no such process. */
export function processIdentity(pid: number): ProcessIdentity | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (existsSync('/proc/self/stat')) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so count from the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.at(-1) === '') argv.pop();
      // A zombie has exited: its command line is empty, and it stops nothing.
      if (fields[0] === 'Z' || argv.length === 0) return undefined;
      return { argv, startTime: fields[19]! };
    } catch {
      return undefined;
    }
  }
  // Without /proc (macOS): ps gives the start time to the second and the command line as one string.
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-o', 'command=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (!out) return undefined;
    return { startTime: out.slice(0, 24), argv: [out.slice(24).trim()] };
  } catch {
    return undefined;
  }
}

/** Records a running process as started by `npm start`; false when the system cannot tell what it is. */
export function recordProcess(
  localDir: string,
  rec: { kind: StackKind; name: string; pid: number; stopSignal?: NodeJS.Signals; detail?: string; address?: string },
): boolean {
  const identity = processIdentity(rec.pid);
  if (!identity) return false;
  const record: ProcessRecord = {
    kind: rec.kind,
    name: rec.name,
    pid: rec.pid,
    stopSignal: rec.stopSignal ?? 'SIGTERM',
    detail: rec.detail ?? '',
    ...(rec.address ? { address: rec.address } : {}),
    recordedAt: new Date().toISOString(),
    ...identity,
  };
  mkdirSync(stackDir(localDir), { recursive: true });
  const file = recordFile(localDir, rec.kind, rec.pid);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(record, null, 2) + '\n');
  renameSync(tmp, file);
  return true;
}

export function forgetProcess(localDir: string, kind: StackKind, pid: number): void {
  rmSync(recordFile(localDir, kind, pid), { force: true });
}

/** Every record, in stopping order; files that are not records are left out. */
export function readRecords(localDir: string): ProcessRecord[] {
  const dir = stackDir(localDir);
  if (!existsSync(dir)) return [];
  const records: ProcessRecord[] = [];
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.json')) continue;
    try {
      const r = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as ProcessRecord;
      if (STACK_KINDS.includes(r.kind) && Number.isInteger(r.pid) && Array.isArray(r.argv) && typeof r.startTime === 'string') records.push(r);
    } catch {
      // Half-written by a writer that died: not a record.
    }
  }
  return records.sort((a, b) => STACK_KINDS.indexOf(a.kind) - STACK_KINDS.indexOf(b.kind) || a.pid - b.pid);
}

export type RecordState =
  | { state: 'running' }
  | { state: 'gone' }
  /** The PID now belongs to another program, or to a later process of the same program. */
  | { state: 'reused'; now: ProcessIdentity };

export function recordState(r: ProcessRecord): RecordState {
  const now = processIdentity(r.pid);
  if (!now) return { state: 'gone' };
  const same = now.startTime === r.startTime && now.argv.length === r.argv.length && now.argv.every((a, i) => a === r.argv[i]);
  return same ? { state: 'running' } : { state: 'reused', now };
}

export function describeRecord(r: ProcessRecord, s: RecordState = recordState(r)): string {
  const what = `${r.name} (pid ${r.pid}${r.detail ? `, ${r.detail}` : ''})`;
  switch (s.state) {
    case 'running':
      return `${what}: running`;
    case 'gone':
      return `${what}: not running (it stopped without removing its record)`;
    case 'reused':
      return `${what}: not running; pid ${r.pid} is now another program (${commandLine(s.now.argv)})`;
  }
}

function commandLine(argv: string[]): string {
  const line = argv.join(' ');
  return line.length > 120 ? `${line.slice(0, 117)}…` : line;
}

export interface StopOutcome {
  record: ProcessRecord;
  outcome: 'stopped' | 'killed' | 'not-running' | 'left-alone' | 'still-running' | 'failed';
  line: string;
}

export interface StopOptions {
  /** How long each process may take to stop after its signal. */
  timeoutMs?: (r: ProcessRecord) => number;
  /** SIGKILL what did not stop in time (the Temporal dev server only, by default: its state is on disk). */
  killAfterTimeout?: (r: ProcessRecord) => boolean;
  pollMs?: number;
  /** Told of each step while stopping, for a person watching. */
  onProgress?: (line: string) => void;
}

const DEFAULT_TIMEOUT_MS: Record<StackKind, number> = {
  // The worker's shutdown grace (30 s by default), then the servers it started itself.
  'npm-start': 120_000,
  temporal: 15_000,
  postgres: 60_000,
};

/** Whether the recorded process is gone (or its PID reused), polling until the deadline. */
async function waitGone(r: ProcessRecord, timeoutMs: number, pollMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (recordState(r).state !== 'running') return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/**
 * Stops one recorded process while it still runs as recorded: its stop signal (and SIGCONT, should
 * it be stopped), then SIGKILL after `timeoutMs`. True once it is gone; its record is removed.
 */
export async function stopRecordedProcess(localDir: string, r: ProcessRecord, { timeoutMs = 10_000, pollMs = 100 } = {}): Promise<boolean> {
  const signal = (sig: NodeJS.Signals) => {
    if (recordState(r).state !== 'running') return;
    try {
      process.kill(r.pid, sig);
    } catch {
      // gone meanwhile
    }
  };
  signal(r.stopSignal);
  signal('SIGCONT');
  let gone = await waitGone(r, timeoutMs, pollMs);
  if (!gone) {
    signal('SIGKILL');
    gone = await waitGone(r, 5_000, pollMs);
  }
  if (gone) forgetProcess(localDir, r.kind, r.pid);
  return gone;
}

/**
 * What a previous `npm start` of this project, killed without stopping them, left running: the
 * recorded servers that still run as recorded while no other `npm start` (than this process)
 * does. Records of processes that are gone, or whose PID is now another program's, are removed.
 */
export function leftRunning(localDir: string, self = process.pid): ProcessRecord[] {
  const live: ProcessRecord[] = [];
  for (const r of readRecords(localDir)) {
    if (r.kind === 'npm-start' && r.pid === self) continue;
    if (recordState(r).state === 'running') live.push(r);
    else forgetProcess(localDir, r.kind, r.pid);
  }
  // Another `npm start` is running: the servers are its own (this one reuses them, as found).
  if (live.some((r) => r.kind === 'npm-start')) return [];
  return live;
}

/**
 * Stops every recorded process that still runs as recorded, in order (`npm start` first, which
 * stops the servers it started; then any server left over, e.g. after `npm start` was killed with
 * -9), and removes the records of processes that are gone. A PID that now belongs to another
 * program is left alone.
 */
export async function stopRecorded(localDir: string, options: StopOptions = {}): Promise<StopOutcome[]> {
  const outcomes: StopOutcome[] = [];
  const handled = new Set<string>();
  const pollMs = options.pollMs ?? 100;
  for (const kind of STACK_KINDS) {
    // The servers of an `npm start` that is still stopping are its to stop: it may still need them.
    if (kind !== 'npm-start' && outcomes.some((o) => o.record.kind === 'npm-start' && (o.outcome === 'still-running' || o.outcome === 'failed'))) {
      for (const r of readRecords(localDir).filter((x) => x.kind === kind)) {
        outcomes.push({ record: r, outcome: 'still-running', line: `${r.name} (pid ${r.pid}): left to npm start, which is still stopping` });
      }
      continue;
    }
    // Read again for each kind: a stopping `npm start` removes the records of what it stopped.
    for (const r of readRecords(localDir).filter((x) => x.kind === kind)) {
      const key = `${r.kind}-${r.pid}`;
      if (handled.has(key)) continue;
      handled.add(key);
      const state = recordState(r);
      if (state.state !== 'running') {
        forgetProcess(localDir, r.kind, r.pid);
        outcomes.push({ record: r, outcome: state.state === 'gone' ? 'not-running' : 'left-alone', line: `${describeRecord(r, state)}; record removed` });
        continue;
      }
      try {
        process.kill(r.pid, r.stopSignal);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ESRCH') {
          forgetProcess(localDir, r.kind, r.pid);
          outcomes.push({ record: r, outcome: 'not-running', line: `${r.name} (pid ${r.pid}): had just stopped; record removed` });
        } else {
          outcomes.push({ record: r, outcome: 'failed', line: `${r.name} (pid ${r.pid}): could not be signalled (${code ?? String(err)})` });
        }
        continue;
      }
      options.onProgress?.(`stopping ${r.name} (pid ${r.pid}, ${r.stopSignal})…`);
      const timeoutMs = options.timeoutMs?.(r) ?? DEFAULT_TIMEOUT_MS[r.kind];
      if (await waitGone(r, timeoutMs, pollMs)) {
        forgetProcess(localDir, r.kind, r.pid);
        outcomes.push({ record: r, outcome: 'stopped', line: `${r.name} (pid ${r.pid}): stopped` });
        continue;
      }
      const kill = options.killAfterTimeout?.(r) ?? r.kind === 'temporal';
      if (kill && recordState(r).state === 'running') {
        process.kill(r.pid, 'SIGKILL');
        if (await waitGone(r, 5_000, pollMs)) {
          forgetProcess(localDir, r.kind, r.pid);
          outcomes.push({ record: r, outcome: 'killed', line: `${r.name} (pid ${r.pid}): did not stop within ${timeoutMs / 1000}s; killed` });
          continue;
        }
      }
      outcomes.push({
        record: r,
        outcome: 'still-running',
        line: `${r.name} (pid ${r.pid}): still stopping after ${timeoutMs / 1000}s; run \`roas stack stop\` again in a moment`,
      });
    }
  }
  return outcomes;
}
