// `roas stack stop` stops the processes `npm start` recorded, and only while their PID still runs
// the recorded program: shown on real processes, one of them with its record made to look like
// another program's (a PID reused by the system), which must survive.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { stackCommand } from '../../src/cli/commands/stack';
import type { CliContext } from '../../src/cli/commands/context';
import { stoppedLine } from '../../src/local/stack';
import { processIdentity, readRecords, recordProcess, recordState, stackDir, stopRecorded, type ProcessRecord, type StackKind } from '../../src/local/stack/pids';

const children: ChildProcess[] = [];
const dirs: string[] = [];

/** A real process, once it runs its script (it says so on stdout). */
async function start(script = 'setInterval(() => {}, 1000)'): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', `${script}; console.log('ready')`], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  await once(child.stdout, 'data');
  return child;
}
/** A process that ignores SIGTERM, as a server busy shutting down would seem. */
const stubborn = () => start("process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)");

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null && processIdentity(child.pid!) !== undefined;

function localDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-stack-'));
  dirs.push(dir);
  return dir;
}

function record(dir: string, kind: StackKind, child: ChildProcess, stopSignal: NodeJS.Signals = 'SIGTERM'): string {
  expect(recordProcess(dir, { kind, name: `test ${kind}`, pid: child.pid!, stopSignal, detail: 'here' })).toBe(true);
  return path.join(stackDir(dir), `${kind}-${child.pid}.json`);
}

/** Rewrites a record as if the PID had been recorded for something else. */
function tamper(file: string, change: Partial<ProcessRecord>): void {
  writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as ProcessRecord), ...change }));
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('recorded processes', () => {
  it('records the command line and start time the system reports', async () => {
    const dir = localDir();
    const child = await start();
    record(dir, 'temporal', child);
    const [r] = readRecords(dir);
    expect(r).toMatchObject({ kind: 'temporal', pid: child.pid, stopSignal: 'SIGTERM', detail: 'here' });
    expect(r!.argv.join(' ')).toContain('setInterval');
    expect(recordState(r!)).toEqual({ state: 'running' });
    expect(recordProcess(dir, { kind: 'postgres', name: 'gone', pid: 2 ** 22 + 1 })).toBe(false);
  });

  it('stop: a recorded process that still runs as recorded is signalled, waited for, and its record removed', async () => {
    const dir = localDir();
    const child = await start();
    const file = record(dir, 'temporal', child);
    const exited = once(child, 'exit');
    const outcomes = await stopRecorded(dir);
    expect(outcomes.map((o) => [o.outcome, o.line])).toEqual([['stopped', `test temporal (pid ${child.pid}): stopped`]]);
    expect(await exited).toEqual([null, 'SIGTERM']);
    expect(existsSync(file)).toBe(false);
  });

  it('stop: a PID now running another program is left alone, and so is a later process of the same program', async () => {
    const dir = localDir();
    const other = await start();
    const sameProgram = await start();
    // As if the recorded server had died and the system had given its PID to someone else's program…
    tamper(record(dir, 'temporal', other), { argv: ['/usr/bin/temporal', 'server', 'start-dev', '--db-filename', '/elsewhere/temporal.db'] });
    // …or to another run of the same program, started later.
    tamper(record(dir, 'postgres', sameProgram), { startTime: '1' });
    const outcomes = await stopRecorded(dir);
    expect(outcomes.map((o) => o.outcome)).toEqual(['left-alone', 'left-alone']);
    expect(outcomes[0]!.line).toContain(`pid ${other.pid} is now another program (${process.execPath} -e setInterval`);
    expect(alive(other)).toBe(true);
    expect(alive(sameProgram)).toBe(true);
    expect(readdirSync(stackDir(dir))).toEqual([]);
  });

  it('stop: the record of a process that is gone is removed, and nothing is signalled', async () => {
    const dir = localDir();
    const child = await start();
    record(dir, 'postgres', child);
    child.kill('SIGKILL');
    await once(child, 'exit');
    const outcomes = await stopRecorded(dir);
    expect(outcomes.map((o) => o.outcome)).toEqual(['not-running']);
    expect(outcomes[0]!.line).toContain('not running');
    expect(readRecords(dir)).toEqual([]);
  });

  it('stop: npm start goes first; the servers of an npm start still stopping are left to it', async () => {
    const dir = localDir();
    const npmStart = await stubborn();
    const postgres = await start();
    record(dir, 'postgres', postgres, 'SIGINT');
    record(dir, 'npm-start', npmStart);
    const outcomes = await stopRecorded(dir, { timeoutMs: () => 300, pollMs: 20 });
    expect(outcomes.map((o) => [o.record.kind, o.outcome])).toEqual([
      ['npm-start', 'still-running'],
      ['postgres', 'still-running'],
    ]);
    expect(outcomes[1]!.line).toContain('left to npm start');
    expect(alive(postgres)).toBe(true);
    expect(readRecords(dir)).toHaveLength(2);
  });

  it('stop: a Temporal dev server that ignores its signal is killed after the timeout', async () => {
    const dir = localDir();
    const temporal = await stubborn();
    record(dir, 'temporal', temporal);
    const exited = once(temporal, 'exit');
    const outcomes = await stopRecorded(dir, { timeoutMs: () => 300, pollMs: 20 });
    expect(outcomes.map((o) => o.outcome)).toEqual(['killed']);
    expect(await exited).toEqual([null, 'SIGKILL']);
  });
});

describe('roas stack', () => {
  const contextFor = (dir: string) => () => Promise.resolve({ config: { localDir: dir } } as unknown as CliContext);
  const run = async (dir: string, args: string[]) => {
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      await stackCommand(contextFor(dir)).exitOverride().parseAsync(args, { from: 'user' });
    } finally {
      console.log = log;
    }
    return lines;
  };

  it('status lists what is recorded; stop stops it; a second stop has nothing to do', async () => {
    const dir = localDir();
    expect(await run(dir, ['status'])).toEqual([`nothing recorded in ${stackDir(dir)}: no \`npm start\` of this project is running`]);
    const child = await start();
    record(dir, 'npm-start', child);
    expect(await run(dir, ['status'])).toEqual([`test npm-start (pid ${child.pid}, here): running`]);
    const exited = once(child, 'exit');
    expect(await run(dir, ['stop'])).toEqual([`stopping test npm-start (pid ${child.pid}, SIGTERM)…`, `test npm-start (pid ${child.pid}): stopped`]);
    await exited;
    expect(await run(dir, ['stop'])).toEqual([`nothing to stop: no process recorded in ${stackDir(dir)}`]);
  });

  it('alone, or with an unknown word, names the subcommands (a usage error: exit 2)', async () => {
    await expect(run(localDir(), [])).rejects.toThrow('roas stack needs a subcommand: one of status, stop');
    await expect(run(localDir(), ['restart'])).rejects.toThrow('unknown subcommand "restart" of roas stack: choose one of status, stop');
  });
});

describe("npm start's last line", () => {
  const handle = (startedByUs: boolean) => ({ startedByUs, stop: () => Promise.resolve() });
  it('says what it stopped, and what it found running and left so', () => {
    const started = { postgres: { ...handle(true), url: 'postgres://roas@127.0.0.1:54320/marketing_roas' }, temporal: { ...handle(true), address: '127.0.0.1:7233', uiUrl: undefined } };
    expect(stoppedLine(started, { worker: true })).toBe('Stopped the worker, the Temporal dev server and PostgreSQL: nothing this command started is still running.');
    const reused = { postgres: { ...handle(false), url: 'postgres://roas:secret@127.0.0.1:54320/marketing_roas' }, temporal: { ...handle(false), address: '127.0.0.1:7233', uiUrl: undefined } };
    const line = stoppedLine(reused, { worker: true });
    expect(line).toBe(
      'Stopped the worker: nothing this command started is still running. Left running as found: Temporal at 127.0.0.1:7233 and PostgreSQL at postgres://roas:***@127.0.0.1:54320/marketing_roas.',
    );
    expect(stoppedLine(undefined, { worker: false })).toBe('Stopped: nothing this command started is still running.');
  });
});
