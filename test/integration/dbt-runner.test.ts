// dbt never outlives the worker that started it, even one killed with SIGKILL (no clean-up code
// runs then). A stand-in "dbt" that prints nothing and runs until interrupted shows it: without
// the parent-death signal it would sleep on as an orphan, because only a write to its closed
// stdout would end it.
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { classifyDbtFailure } from '../../activities/dbt/classify';
import { startDbtForkServer } from '../../activities/dbt/forkserver';
import { createDbtRunner, pinnedRequirements, versionMismatch, WARM_DBT_DISTRIBUTIONS, type ManagedDbtRunner } from '../../activities/dbt/runner';
import { PROJECT_ROOT } from '../../src/platform/config';
import { dbtSessions } from '../helpers/dbt';
import { useTestDatabase } from '../helpers/db';
import { eventually } from '../helpers/temporal';

describe('the dbt runner', () => {
  it.each([
    ['started as a plain process', 'plain'],
    ['forked by the warm dbt', 'warm'],
  ])('a dbt %s whose worker is killed with SIGKILL gets SIGINT at once and stops', async (_, mode) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-orphan-'));
    venvPythonIn(dir);
    const dbt = path.join(dir, 'dbt');
    writeFileSync(
      dbt,
      [
        `#!${path.join(dir, 'python')}`,
        'import os, signal, sys, time',
        `def stop(signum, frame):`,
        `    open(${JSON.stringify(path.join(dir, 'interrupted'))}, 'w').write(str(signum))`,
        '    sys.exit(130)',
        'signal.signal(signal.SIGINT, stop)',
        `open(${JSON.stringify(path.join(dir, 'started'))}, 'w').write(str(os.getpid()))`,
        'time.sleep(120)',
        '',
      ].join('\n'),
    );
    chmodSync(dbt, 0o755);

    const worker = execa(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'test/helpers/run-dbt-child.ts'), dbt, path.join(dir, 'target'), mode], {
      cwd: PROJECT_ROOT,
      reject: false,
    });
    await eventually('the stand-in dbt to start', () => Promise.resolve(existsSync(path.join(dir, 'started'))), 30_000);
    const dbtPid = Number(readFileSync(path.join(dir, 'started'), 'utf8'));
    // Which way it started: a fork of the warm dbt runs under the server's command line.
    const parent = readFileSync(`/proc/${readFileSync(`/proc/${dbtPid}/stat`, 'utf8').split(' ')[3]}/cmdline`, 'utf8');
    expect(parent.includes('forkserver.py')).toBe(mode === 'warm');

    worker.kill('SIGKILL');
    expect((await worker).signal).toBe('SIGKILL');
    const killedAt = Date.now();
    await eventually('the orphaned dbt to be interrupted', () => Promise.resolve(existsSync(path.join(dir, 'interrupted'))), 10_000);
    expect(Date.now() - killedAt).toBeLessThan(2_000);
    expect(readFileSync(path.join(dir, 'interrupted'), 'utf8')).toBe('2'); // SIGINT: dbt cancels its queries
    await eventually('the orphaned dbt to exit', () => Promise.resolve(!alive(dbtPid)), 10_000);
  });
});

describe('the warm dbt, when its worker is killed with SIGKILL', () => {
  it('kills a dbt that has not stopped 1.5 s after its SIGINT (slow to cancel its queries): none is left after 2 s', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-orphan-slow-'));
    venvPythonIn(dir);
    const dbt = path.join(dir, 'dbt');
    // A dbt whose cancellation hangs: it takes SIGINT and goes on sleeping.
    writeFileSync(
      dbt,
      [
        `#!${path.join(dir, 'python')}`,
        'import os, signal, time',
        `signal.signal(signal.SIGINT, lambda signum, frame: open(${JSON.stringify(path.join(dir, 'interrupted'))}, 'w').write(str(signum)))`,
        `open(${JSON.stringify(path.join(dir, 'started'))}, 'w').write(str(os.getpid()))`,
        'while True:',
        '    time.sleep(1)',
        '',
      ].join('\n'),
    );
    chmodSync(dbt, 0o755);
    const worker = execa(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'test/helpers/run-dbt-child.ts'), dbt, path.join(dir, 'target'), 'warm'], {
      cwd: PROJECT_ROOT,
      reject: false,
    });
    await eventually('the stand-in dbt to start', () => Promise.resolve(existsSync(path.join(dir, 'started'))), 30_000);
    const dbtPid = Number(readFileSync(path.join(dir, 'started'), 'utf8'));
    worker.kill('SIGKILL');
    expect((await worker).signal).toBe('SIGKILL');
    const killedAt = Date.now();
    await eventually('the orphaned dbt that ignores SIGINT to be gone', () => Promise.resolve(!running(dbtPid)), 20_000, 20);
    const ms = Date.now() - killedAt;
    console.log(`orphaned dbt that ignores SIGINT gone ${ms} ms after its worker was killed`);
    expect(readFileSync(path.join(dir, 'interrupted'), 'utf8')).toBe('2');
    // 1.5 s of grace after the SIGINT; the rest is the slack of a busy machine.
    expect(ms).toBeLessThan(5_000);
  });
});

/** Alive and not a zombie (an exited child its new parent has not reaped yet). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The process whose command line has this argument (a plain dbt, named by its log folder in its target path). */
function pidWithArg(arg: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(arg)) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no process has the argument ${arg}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the warm dbt (imported once, a fork per invocation) with real dbt', () => {
  const db = useTestDatabase(import.meta.url);
  const projectDir = path.join(PROJECT_ROOT, 'dbt');
  const runners: ManagedDbtRunner[] = [];
  const make = (keepWarm: boolean) => {
    const runner = createDbtRunner({ dbtBin: inject('dbtBin'), projectDir, databaseUrl: db.url, threads: 2, keepWarm });
    runners.push(runner);
    return runner;
  };
  afterAll(async () => {
    await Promise.all(runners.map((r) => r.close()));
  });
  const root = mkdtempSync(path.join(os.tmpdir(), 'roas-warm-'));
  const show = (sql: string) => ['--inline', sql, '--output', 'json', '--limit', '5'];

  it('gives what a plain dbt gives: output, exit codes, artifacts; two invocations at once stay apart', async () => {
    const plain = make(false);
    const warm = make(true);
    for (const runner of [plain, warm]) {
      const name = runner === warm ? 'warm' : 'plain';
      const ok = await runner({ command: 'debug', targetPath: path.join(root, `${name}-debug`) });
      expect(ok.exitCode, ok.rawOutput).toBe(0);
      expect(ok.dbtVersion).toMatch(/^1\.\d+\.\d+/);
      // An unknown flag is a usage error (dbt exits 2); a failing query fails its node (exit 1).
      const usage = await runner({ command: 'debug', targetPath: path.join(root, `${name}-usage`), extraArgs: ['--no-such-flag'] });
      expect(usage.exitCode).toBe(2);
      expect(usage.rawOutput).toContain('--no-such-flag');
    }
    expect(warm.warm).toBe(true);
    expect(plain.warm).toBe(false);

    // Two at once, each with its own run date and target path: each sees only its own.
    const shown = new Map<string, string>();
    const [a, b] = await Promise.all(
      ['2026-01-02', '2026-03-04'].map((runDate) =>
        warm(
          {
          command: 'show',
          targetPath: path.join(root, `show-${runDate}`),
          runDate,
          applicationName: `roas-warm-${runDate}`,
          extraArgs: show(`select current_setting('application_name') as app, '{{ env_var("ROAS_RUN_DATE") }}' as run_date`),
          },
          (event) => {
            if (event.name === 'ShowNode') shown.set(runDate, JSON.stringify(event.data));
          },
        ),
      ),
    );
    for (const [result, runDate] of [[a!, '2026-01-02'], [b!, '2026-03-04']] as const) {
      expect(result.exitCode, result.rawOutput).toBe(0);
      const preview = shown.get(runDate) ?? '';
      expect(preview).toContain(`\\"run_date\\": \\"${runDate}\\"`);
      expect(preview).toContain(`roas-warm-${runDate}`);
      expect(existsSync(path.join(root, `show-${runDate}`, 'dbt.pid'))).toBe(true);
    }

    // A query that fails: the same exit code and message either way.
    const [plainFail, warmFail] = await Promise.all(
      [plain, warm].map((runner, i) => runner({ command: 'show', targetPath: path.join(root, `fail-${i}`), extraArgs: show('select 1/0 as boom') })),
    );
    expect(warmFail!.exitCode).not.toBe(0);
    expect(warmFail!.exitCode).toBe(plainFail!.exitCode);
    expect(warmFail!.notable.map((e) => e.msg).join('\n')).toMatch(/division by zero/);
  });

  it('reports the versions it imported, equal to the pins; any other dbt runs plain and says why', async () => {
    const server = await startDbtForkServer(path.join(path.dirname(inject('dbtBin')), 'python'));
    try {
      expect(server.preloaded).toBe(true);
      const pins = pinnedRequirements();
      for (const name of WARM_DBT_DISTRIBUTIONS) expect(server.versions[name], name).toBe(pins[name.toLowerCase()]);
      expect(versionMismatch(server.versions, pins)).toBeUndefined();
    } finally {
      await server.close();
    }
    // A dbt-core other than the pinned one (as after an upgrade nobody has checked): plain processes, loudly.
    const told: string[] = [];
    const runner = createDbtRunner({
      dbtBin: inject('dbtBin'),
      projectDir,
      databaseUrl: db.url,
      threads: 2,
      keepWarm: true,
      pinnedVersions: { ...pinnedRequirements(), 'dbt-core': '1.12.0' },
      onWarmUnavailable: (err) => told.push(err.message),
    });
    runners.push(runner);
    const ok = await runner({ command: 'debug', targetPath: path.join(root, 'unpinned-debug') });
    expect(ok.exitCode, ok.rawOutput).toBe(0);
    expect(runner.warm).toBe(false);
    const status = await runner.warmStatus();
    expect(status.warm).toBe(false);
    expect(status.versions['dbt-core']).toMatch(/^1\.11\./);
    expect(status.reasons.join('\n')).toMatch(/dbt-core 1\.11\.\d+ \(pinned: 1\.12\.0\).*runs plain/);
    expect(told).toEqual(status.reasons);
  });

  it('starts from the parse it keeps in memory, and never once a file of the project has changed', async () => {
    const copy = path.join(root, 'project');
    cpSync(projectDir, copy, { recursive: true, filter: (src) => !/\/(target|logs)$/.test(src) });
    const warm = createDbtRunner({ dbtBin: inject('dbtBin'), projectDir: copy, databaseUrl: db.url, threads: 2, keepWarm: true });
    runners.push(warm);
    const query = show("select '{{ var(\"greeting\", \"hello\") }}' as greeting");
    const first = await warm({ command: 'show', targetPath: path.join(root, 'kept-1'), extraArgs: query });
    expect(first.exitCode, first.rawOutput).toBe(0);
    expect(first.reusedParse).toBe(true);
    // A changed model: the kept parse is stale, so dbt parses (and sees the change).
    const model = path.join(copy, 'models', 'staging', 'stg_ad_events.sql');
    writeFileSync(model, readFileSync(model, 'utf8') + '\n-- changed\n');
    const second = await warm({ command: 'show', targetPath: path.join(root, 'kept-2'), extraArgs: query });
    expect(second.exitCode, second.rawOutput).toBe(0);
    expect(second.reusedParse).toBe(false);
    expect(readFileSync(path.join(root, 'kept-2', 'logs', 'dbt.log'), 'utf8')).toMatch(/Partial parsing enabled: 0 files deleted, 0 files added, 1 files changed|Unable to do partial parsing/);
  });

  it('a cancelled invocation stops dbt and its query', async () => {
    const warm = make(true);
    const controller = new AbortController();
    const running = warm({
      command: 'show',
      targetPath: path.join(root, 'cancel'),
      applicationName: 'roas-warm-cancel',
      extraArgs: show('select pg_sleep(60) as slept'),
      signal: controller.signal,
    });
    await eventually('the query to run', async () => (await dbtSessions(db.pool, 'roas-warm-cancel', { active: true })) > 0, 30_000);
    const cancelledAt = Date.now();
    controller.abort();
    const result = await running;
    expect(result.cancelled).toBe(true);
    expect(result.exitCode).not.toBe(0);
    expect(Date.now() - cancelledAt).toBeLessThan(6_000);
    await eventually('the query to be gone', async () => (await dbtSessions(db.pool, 'roas-warm-cancel', { active: true })) === 0, 10_000);
  });

  it.each([false, true])('a dbt killed mid-run (keepWarm %s) is a retryable DbtProcessKilled, not a broken project', async (keepWarm) => {
    const runner = make(keepWarm);
    const targetPath = path.join(root, `killed-${keepWarm}`);
    const running = runner({ command: 'show', targetPath, applicationName: `roas-killed-${keepWarm}`, extraArgs: show('select pg_sleep(60) as slept') });
    await eventually('the query to run', async () => (await dbtSessions(db.pool, `roas-killed-${keepWarm}`, { active: true })) > 0, 30_000);
    // As the kernel's out-of-memory killer would: SIGKILL to dbt itself, nothing printed.
    const pid = keepWarm ? Number(readFileSync(path.join(targetPath, 'dbt.pid'), 'utf8')) : pidWithArg(path.join(targetPath, 'logs'));
    process.kill(pid, 'SIGKILL');
    const result = await running;
    expect(result.cancelled).toBe(false);
    expect(result.exitCode).toBe(-1);
    expect(classifyDbtFailure(result)).toBe('DbtProcessKilled');
  });
});

/**
 * The venv's Python beside a stand-in dbt, as in a real venv's bin/: a wrapper, not a link (a
 * linked Python would not find its venv, so no dbt to import, and the runner would go plain).
 */
function venvPythonIn(dir: string): void {
  writeFileSync(path.join(dir, 'python'), `#!/bin/sh\nexec ${JSON.stringify(path.join(path.dirname(inject('dbtBin')), 'python'))} "$@"\n`);
  chmodSync(path.join(dir, 'python'), 0o755);
}
