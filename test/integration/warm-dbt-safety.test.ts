// The warm dbt is dbt, only started sooner: nothing one invocation does reaches the next, a
// server that closes idle sessions fails nothing, a parse made with different --vars or
// environment is never reused, dbt's static parser cannot hang a fork, and neither a stalled
// client nor a child killed at the worst moment stops the server from forking the next one.
// Small dbt projects made here, real dbt, real PostgreSQL.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startDbtForkServer } from '../../activities/dbt/forkserver';
import { createDbtRunner, type DbtInvocation, type ManagedDbtRunner } from '../../activities/dbt/runner';
import { PROJECT_ROOT } from '../../src/platform/config';
import { urlParts } from '../../src/platform/db/url';
import { useTestDatabase } from '../helpers/db';
import { eventually } from '../helpers/temporal';

const root = mkdtempSync(path.join(os.tmpdir(), 'roas-warm-safety-'));

/** A dbt project of these models, with the project's profile (its connection from DBT_PG_*). */
function toyProject(name: string, models: Record<string, string>): string {
  const dir = path.join(root, name);
  mkdirSync(path.join(dir, 'models'), { recursive: true });
  cpSync(path.join(PROJECT_ROOT, 'dbt', 'profiles.yml'), path.join(dir, 'profiles.yml'));
  writeFileSync(path.join(dir, 'dbt_project.yml'), `name: ${name}\nversion: '1.0.0'\nconfig-version: 2\nprofile: marketing_roas\nmodel-paths: ['models']\n`);
  for (const [model, sql] of Object.entries(models)) writeFileSync(path.join(dir, 'models', `${model}.sql`), sql);
  return dir;
}

/** Runs an invocation, giving up (interrupting dbt) after `ms`: a hung fork fails the test instead of hanging it. */
async function bounded(runner: ManagedDbtRunner, invocation: Omit<DbtInvocation, 'signal'>, ms = 120_000) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    return await runner({ ...invocation, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe('the warm dbt keeps invocations apart', () => {
  const db = useTestDatabase(import.meta.url);
  const runners: ManagedDbtRunner[] = [];
  const warmRunner = (projectDir: string, threads = 1) => {
    const runner = createDbtRunner({ dbtBin: inject('dbtBin'), projectDir, databaseUrl: db.url, threads, keepWarm: true });
    runners.push(runner);
    return runner;
  };
  afterAll(async () => {
    await Promise.all(runners.map((r) => r.close()));
  });

  it("a node's session settings, temporary tables and connection never reach the next node", async () => {
    const project = toyProject('leak', {
      leak_a: `{{ config(materialized='table', post_hook=["set statement_timeout = 4321", "create temp table leak_probe as select 1 as x"]) }}\nselect pg_backend_pid() as pid`,
      leak_b: `{{ config(materialized='table') }}\nselect a.pid as a_pid, pg_backend_pid() as b_pid, current_setting('statement_timeout') as statement_timeout,\n       to_regclass('pg_temp.leak_probe') is not null as saw_temp\nfrom {{ ref('leak_a') }} a`,
    });
    const runner = warmRunner(project, 1);
    const result = await bounded(runner, { command: 'run', targetPath: path.join(root, 'leak-run') });
    expect(result.exitCode, result.rawOutput).toBe(0);
    expect(result.reusedParse).toBe(true);
    const { rows } = await db.pool.query<{ a_pid: number; b_pid: number; statement_timeout: string; saw_temp: boolean }>('SELECT * FROM analytics.leak_b');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.statement_timeout).not.toBe('4321ms');
    expect(rows[0]!.saw_temp).toBe(false);
    expect(rows[0]!.b_pid).not.toBe(rows[0]!.a_pid);
  });

  it('a server that closes idle sessions (idle_session_timeout) fails no node and no run', async () => {
    const project = toyProject('idle', {
      idle_fast: `{{ config(materialized='table') }}\nselect 1 as x`,
      idle_slow: `{{ config(materialized='table') }}\nselect 1 as x from pg_sleep(3)`,
      idle_after: `{{ config(materialized='table') }}\nselect f.x from {{ ref('idle_fast') }} f cross join {{ ref('idle_slow') }} s`,
      idle_last: `{{ config(materialized='table') }}\nselect x from {{ ref('idle_after') }}`,
    });
    const runner = warmRunner(project, 2);
    await db.pool.query(`ALTER DATABASE ${pg.escapeIdentifier(db.name)} SET idle_session_timeout = '1s'`);
    try {
      const result = await bounded(runner, { command: 'run', targetPath: path.join(root, 'idle-run') });
      expect(result.exitCode, result.rawOutput + result.notable.map((e) => e.msg).join('\n')).toBe(0);
      expect(result.notable.filter((e) => e.level === 'error')).toEqual([]);
    } finally {
      await db.pool.query(`ALTER DATABASE ${pg.escapeIdentifier(db.name)} RESET idle_session_timeout`);
    }
    const { rows } = await db.pool.query<{ x: number }>('SELECT x FROM analytics.idle_last');
    expect(rows).toEqual([{ x: 1 }]);
  });

  it('a kept parse is used only with the same --vars and the same environment variables read while parsing', async () => {
    const project = toyProject('keyed', {
      by_var: `{{ config(materialized='table', alias=var('toy_alias', 'e_default')) }}\nselect 1 as x`,
      by_env: `{{ config(materialized='table', alias='e_' ~ (env_var('ROAS_RUN_DATE', 'none') | replace('-', '_'))) }}\nselect 1 as x`,
    });
    const runner = warmRunner(project, 1);
    const exists = async (table: string) => (await db.pool.query('SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', ['analytics', table])).rowCount === 1;

    const custom = await bounded(runner, { command: 'run', targetPath: path.join(root, 'keyed-vars'), select: ['by_var'], vars: { toy_alias: 'e_custom' } });
    expect(custom.exitCode, custom.rawOutput).toBe(0);
    expect(custom.reusedParse).toBe(false);
    expect(await exists('e_custom')).toBe(true);
    expect(await exists('e_default')).toBe(false);

    const dated = await bounded(runner, { command: 'run', targetPath: path.join(root, 'keyed-env'), select: ['by_env'], runDate: '2026-01-02' });
    expect(dated.exitCode, dated.rawOutput).toBe(0);
    expect(dated.reusedParse).toBe(false);
    expect(await exists('e_2026_01_02')).toBe(true);
    expect(await exists('e_none')).toBe(false);

    // Nothing differs from the kept parse: it is used.
    const plainAgain = await bounded(runner, { command: 'run', targetPath: path.join(root, 'keyed-same'), select: ['by_var', 'by_env'] });
    expect(plainAgain.exitCode, plainAgain.rawOutput).toBe(0);
    expect(plainAgain.reusedParse).toBe(true);
    expect(await exists('e_default')).toBe(true);
    expect(await exists('e_none')).toBe(true);
  });

  it("dbt's static parser (a project without the ref override) cannot hang a fork", async () => {
    const copy = path.join(root, 'static-parser');
    cpSync(path.join(PROJECT_ROOT, 'dbt'), copy, { recursive: true, filter: (src) => !/\/(target|logs)$/.test(src) });
    const relations = path.join(copy, 'macros', 'audit', 'relations.sql');
    const text = readFileSync(relations, 'utf8');
    const withoutRef = text.replace(/{% macro ref\(\) -%}[\s\S]*?{%- endmacro %}/, '');
    expect(withoutRef).not.toBe(text);
    writeFileSync(relations, withoutRef);
    const runner = warmRunner(copy, 2);
    // A full parse in a forked child (parse never starts from the kept one), with the static parser on.
    const parsed = await bounded(runner, { command: 'parse', targetPath: path.join(root, 'static-parse') });
    expect(parsed.cancelled, 'the forked parse hung').toBe(false);
    expect(parsed.exitCode, parsed.rawOutput).toBe(0);
    expect(runner.warm).toBe(true);
    const shown = await bounded(runner, { command: 'show', targetPath: path.join(root, 'static-show'), extraArgs: ['--inline', 'select 1 as one', '--output', 'json'] });
    expect(shown.cancelled).toBe(false);
    expect(shown.exitCode, shown.rawOutput).toBe(0);
  }, 400_000);
});

describe('the warm dbt server keeps forking', () => {
  const db = useTestDatabase(import.meta.url);
  const python = () => path.join(path.dirname(inject('dbtBin')), 'python');

  it('a client that connects and sends nothing delays no other invocation, and is dropped', async () => {
    const server = await startDbtForkServer(python());
    const script = path.join(root, 'hello.py');
    writeFileSync(script, "print('hello from a fork')\n");
    try {
      const stalled = net.createConnection(server.socketPath);
      const stalledClosed = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
      stalled.on('error', () => {});
      await new Promise<void>((resolve) => stalled.once('connect', resolve));
      const forked = await within(server.run({ script, args: [], env: {}, cwd: root }), 60_000, 'a fork while another client stalls');
      const chunks: string[] = [];
      forked.output.on('data', (c: Buffer) => chunks.push(c.toString()));
      expect((await forked.exit).exitCode).toBe(0);
      expect(chunks.join('')).toContain('hello from a fork');
      await within(stalledClosed, 60_000, 'the stalled client to be dropped');
    } finally {
      await server.close();
    }
  }, 200_000);

  it('a prepare leaves the server as it was: no environment variable or working directory of its own reaches a child', async () => {
    const server = await startDbtForkServer(python());
    const emptyDir = mkdtempSync(path.join(root, 'no-project-'));
    const script = path.join(root, 'where.py');
    writeFileSync(script, "import os\nprint('env=' + os.environ.get('ROAS_ONLY_IN_PREPARE', 'unset') + ' cwd=' + os.getcwd())\n");
    try {
      // A parse that fails (no project there), after setting its environment and directory.
      const kept = await server.prepare({ args: ['parse', '--project-dir', emptyDir, '--profiles-dir', emptyDir], env: { ROAS_ONLY_IN_PREPARE: 'leaked' }, cwd: emptyDir, key: 'none' });
      expect(kept.prepared).toBe(false);
      const forked = await server.run({ script, args: [], env: {}, cwd: '.' });
      const chunks: string[] = [];
      forked.output.on('data', (c: Buffer) => chunks.push(c.toString()));
      expect((await forked.exit).exitCode).toBe(0);
      expect(chunks.join('')).toContain('env=unset cwd=');
      expect(chunks.join('')).not.toContain(emptyDir);
    } finally {
      await server.close();
    }
  });

  it("a child killed while it holds the adapter's lock blocks no later child", async () => {
    const server = await startDbtForkServer(python());
    const projectDir = path.join(PROJECT_ROOT, 'dbt');
    const u = urlParts(db.url);
    const env = { DBT_PG_HOST: u.host, DBT_PG_PORT: String(u.port), DBT_PG_USER: u.user, DBT_PG_PASSWORD: u.password, DBT_PG_DBNAME: u.database, DBT_SEND_ANONYMOUS_USAGE_STATS: 'false' };
    const common = ['--project-dir', projectDir, '--profiles-dir', projectDir, '--log-format', 'json', '--no-use-colors'];
    try {
      const kept = await server.prepare({ args: ['parse', ...common, '--log-path', path.join(root, 'lock-parse')], env: { ...env, DBT_TARGET_PATH: path.join(root, 'lock-parse') }, cwd: projectDir, key: 'lock' });
      expect(kept.prepared, kept.error).toBe(true);
      // Whatever adapter a child inherits from the server: take its lock, as a child does for an
      // instant around each connection, and die holding it.
      const marker = path.join(root, 'lock-held');
      const holder = path.join(root, 'hold-lock.py');
      writeFileSync(
        holder,
        [
          'import time',
          'from dbt.adapters.factory import FACTORY',
          'for adapter in list(FACTORY.adapters.values()):',
          '    adapter.connections.lock.acquire()',
          `open(${JSON.stringify(marker)}, 'w').write(str(len(FACTORY.adapters)))`,
          'time.sleep(120)',
          '',
        ].join('\n'),
      );
      const holding = await server.run({ script: holder, args: [], env, cwd: projectDir });
      await eventually('the child to hold the lock', () => Promise.resolve(existsSync(marker)), 60_000);
      process.kill(holding.pid, 'SIGKILL');
      expect((await holding.exit).exitCode).toBe(-1);

      const target = path.join(root, 'after-kill');
      const next = await server.run({
        script: inject('dbtBin'),
        args: ['show', ...common, '--log-path', path.join(target, 'logs'), '--inline', 'select 1 as one', '--output', 'json'],
        env: { ...env, DBT_TARGET_PATH: target },
        cwd: projectDir,
        manifestKey: 'lock',
      });
      next.output.resume();
      const ended = await within(next.exit, 120_000, 'dbt after a child was killed holding the lock').catch((err: Error) => {
        process.kill(next.pid, 'SIGKILL');
        throw err;
      });
      expect(ended.reusedParse).toBe(true);
      expect(ended.exitCode).toBe(0);
    } finally {
      await server.close();
    }
  }, 300_000);
});
