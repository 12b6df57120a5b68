// dbt never outlives the worker that started it, even one killed with SIGKILL (no clean-up code
// runs then). A stand-in "dbt" that prints nothing and runs until interrupted shows it: without
// the parent-death signal it would sleep on as an orphan, because only a write to its closed
// stdout would end it.
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { classifyDbtFailure } from '../../activities/dbt/classify';
import { startDbtForkServer } from '../../activities/dbt/forkserver';
import { createDbtRunner, type ManagedDbtRunner } from '../../activities/dbt/runner';
import { PROJECT_ROOT } from '../../src/config';
import { dbtSessions } from '../helpers/dbt';
import { useTestDatabase } from '../helpers/db';
import { eventually } from '../helpers/temporal';

describe('the dbt runner', () => {
  it.each([
    ['started as a plain process', 'plain'],
    ['forked by the warm dbt', 'warm'],
  ])('a dbt %s whose worker is killed with SIGKILL gets SIGINT at once and stops', async (_, mode) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-orphan-'));
    // The venv's Python beside the stand-in, as in a real venv's bin/.
    symlinkSync(path.join(path.dirname(inject('dbtBin')), 'python'), path.join(dir, 'python'));
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

  it("installs its per-node savings on the pinned dbt (a dbt upgrade that drops one is noticed here)", async () => {
    const server = await startDbtForkServer(path.join(path.dirname(inject('dbtBin')), 'python'));
    try {
      expect(server.preloaded).toBe(true);
      expect(server.faster).toEqual(['compiled_jinja', 'reused_connections']);
    } finally {
      await server.close();
    }
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
