// The `roas` command spawned as a user runs it: bad input is refused with exit code 2 before
// anything starts; unreachable servers exit 1 with the fix; flink-complete is idempotent.
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/platform/config';
import { ephemeralPort } from '../../src/local/stack/ports';
import { useTestDatabase } from '../helpers/db';

const roas = path.join(PROJECT_ROOT, 'bin', 'roas');

describe('roas CLI', () => {
  const db = useTestDatabase(import.meta.url);
  /** What a command could have written: rows in every table it touches, and runs in Temporal. */
  const footprint = async () => {
    const { rows } = await db.pool.query(
      `SELECT (SELECT count(*)::int FROM realtime.ad_events) AS events, (SELECT count(*)::int FROM realtime.flink_batches) AS batches,
              (SELECT count(*)::int FROM orchestrator.pipeline_runs) AS runs, (SELECT count(*)::int FROM orchestrator.alerts) AS alerts`,
    );
    return rows[0] as Record<string, number>;
  };
  const run = (args: string[], env: Record<string, string> = {}) =>
    execa(roas, args, {
      reject: false,
      timeout: 60_000,
      env: { DATABASE_URL: db.url, TEMPORAL_ADDRESS: inject('temporalAddress'), LOG_LEVEL: 'warn', ...env },
    });

  // Every usage mistake is checked on the parser in test/unit/cli-arguments.test.ts; these few,
  // one of each kind, go through the real binary: exit code 2, the message, nothing written.
  it.each([
    [['run', 'dbt', '--date', '2026-13-01'], 'does not exist in the calendar'],
    [['run', 'dbt', '--date', '2999-01-01'], 'out of range: give a day from 2000-01-01'],
    [['run', 'dbt'], "required option '-d, --date <YYYY-MM-DD>' not specified"],
    [['no-such-command'], "unknown command 'no-such-command'"],
    [['schedules', 'pause', 'hourly'], 'unknown schedule "hourly"'],
    // Needs the configuration (where artifacts are) before it can say so.
    [['logs', 'dbt', '--date', '2001-01-01'], 'no logs for dbt 2001-01-01'],
  ])('roas %j exits 2 and says what is wrong', async (args, message) => {
    const before = await footprint();
    const r = await run(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
    expect(await footprint()).toEqual(before);
  });

  it.each([
    [{ DATABASE_URL: 'mysql://roas@localhost/marketing_roas' }, 'DATABASE_URL'],
    [{ ROAS_RETRY_ATTEMPTS: '0' }, 'ROAS_RETRY_ATTEMPTS'],
    [{ ROAS_RETRY_INTERVAL: 'five minutes' }, 'ROAS_RETRY_INTERVAL'],
    [{ DBT_THREADS: 'many' }, 'DBT_THREADS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ])('bad configuration %j: exit 2 naming the variable, nothing written', async (env, variable) => {
    const before = await footprint();
    const r = await run(['flink-complete', '--date', '2026-11-03'], env);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toContain(variable);
    expect(await footprint()).toEqual(before);
  });

  it('--help exits 0 and prints usage (every command is checked on the parser in the unit tier)', async () => {
    for (const args of [['--help'], ['schedules', 'apply', '--help']]) {
      const r = await run(args);
      expect(r.exitCode, args.join(' ')).toBe(0);
      expect(r.stdout).toContain('Usage: roas');
    }
  });

  it('flink-complete records the day once; repeating it changes nothing', async () => {
    const first = await run(['flink-complete', '--date', '2026-11-01', '--row-count', '1234', '--job-id', 'flink-42']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toContain('recorded: 2026-11-01 complete (1,234 events)');
    expect(first.stdout).toContain('no run is waiting for 2026-11-01');
    const again = await run(['flink-complete', '--date', '2026-11-01', '--row-count', '999']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('already recorded');
    const { rows } = await db.pool.query("SELECT row_count::int AS n, job_id FROM realtime.flink_batches WHERE run_date = '2026-11-01'");
    expect(rows).toEqual([{ n: 1234, job_id: 'flink-42' }]);
  });

  it('an unreachable Temporal server: exit 1 with the fix, and no run recorded', async () => {
    const port = await ephemeralPort();
    const r = await run(['run', 'dbt', '--date', '2001-01-01'], { TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`Temporal is not reachable at 127.0.0.1:${port}`);
    expect(r.stderr).toContain('npm start');
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM orchestrator.pipeline_runs');
    expect(rows[0]!.n).toBe(0);
  });

  it('an unreachable PostgreSQL: exit 1 with the fix', async () => {
    const port = await ephemeralPort();
    const r = await run(['flink-complete', '--date', '2026-11-02'], { DATABASE_URL: `postgres://roas@127.0.0.1:${port}/marketing_roas` });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('PostgreSQL is not reachable');
  });
});
