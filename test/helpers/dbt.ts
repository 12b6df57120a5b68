import { mkdirSync, mkdtempSync, readdirSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { inject } from 'vitest';
import { createDbtRunner, saveSharedParse, type DbtCommand } from '../../activities/dbt/runner';
import { readRunResults, type DbtNodeResult } from '../../src/artifacts/run-results';
import { PROJECT_ROOT } from '../../src/platform/config';
import { roleNames, urlForRole } from '../../src/platform/db/roles';

/** The roles the test databases are migrated with (the default prefix). */
export const TEST_ROLES = roleNames('roas');

/**
 * Runs real dbt against a test database, each invocation in its own target path, all starting
 * from one saved parse (as the worker's runs do), made by the first invocation.
 */
/** One invocation as a comparison of two runners needs it: what ran, how it ended, each node's status. */
export interface DbtInvocationRecord {
  command: DbtCommand;
  runDate: string | undefined;
  select: string[] | undefined;
  exitCode: number;
  statuses: Record<string, string>;
}

export function dbtFor(databaseUrl: string, options: { sharedParse?: boolean; asOwner?: boolean; keepWarm?: boolean; record?: DbtInvocationRecord[] } = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'roas-dbt-'));
  const sharedParseFile = path.join(root, 'parse', 'partial_parse.msgpack');
  const runner = createDbtRunner({
    dbtBin: inject('dbtBin'),
    projectDir: path.join(PROJECT_ROOT, 'dbt'),
    // As the worker runs dbt: the transform login, building as the owner role of analytics (so
    // what these tests build, the worker's runs may replace). asOwner: as the URL's user instead.
    ...(options.asOwner ? { databaseUrl } : { databaseUrl: urlForRole(databaseUrl, TEST_ROLES.transform), role: TEST_ROLES.analyticsOwner }),
    threads: 4,
    // As the worker does, unless a test compares it with plain dbt processes.
    keepWarm: options.keepWarm ?? true,
    ...(options.sharedParse === false ? {} : { sharedParseFile }),
  });
  let parsed: Promise<unknown> | undefined;
  let n = 0;
  return async (command: DbtCommand, opts: { runDate?: string; select?: string[]; extraArgs?: string[]; cut?: boolean } = {}) => {
    // As a run does before dbt starts: the cut of the day's events its models and tests read.
    if (opts.runDate && opts.cut !== false && (command === 'run' || command === 'build') && opts.select?.includes('tag:daily_run')) {
      await takeCut(databaseUrl, opts.runDate);
    }
    if (!parsed) {
      mkdirSync(path.dirname(sharedParseFile), { recursive: true });
      parsed = saveSharedParse(runner, sharedParseFile);
    }
    await parsed;
    const targetPath = path.join(root, `${String(++n).padStart(3, '0')}-${command}-${opts.runDate ?? 'none'}`);
    const result = await runner({
      command,
      targetPath,
      select: opts.select,
      runDate: opts.runDate,
      extraArgs: opts.extraArgs,
    });
    const nodes: DbtNodeResult[] = readRunResults(targetPath)?.nodes ?? [];
    options.record?.push({
      command,
      runDate: opts.runDate,
      select: opts.select,
      exitCode: result.exitCode,
      statuses: Object.fromEntries(nodes.map((n) => [`${n.name}:${n.failures ?? ''}`, n.status])),
    });
    return { ...result, nodes, targetPath };
  };
}

/** Takes the cut of a day's events as the orchestrator does (realtime_cut.take), as a fresh run. */
export async function takeCut(databaseUrl: string, runDate: string, runId = `test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    const { rows } = await client.query<{ cut_id: string; rows: string }>('SELECT cut_id, rows FROM realtime_cut.take($1::date, $2, $3, $4)', [
      runDate,
      `dbt-daily-run-${runDate}`,
      runId,
      'manual',
    ]);
    await client.query('COMMIT');
    return { cutId: String(rows[0]!.cut_id), rows: Number(rows[0]!.rows) };
  } finally {
    await client.end();
  }
}

/** Tests that did not pass, by name, with their status. */
export function notPassing(nodes: DbtNodeResult[]): Record<string, string> {
  return Object.fromEntries(nodes.filter((n) => n.resourceType === 'test' && n.status !== 'pass').map((n) => [n.name, n.status]));
}

/**
 * dbt processes of a date's step alive on this machine: a plain dbt names its target path (date,
 * step, attempt) in its arguments; a dbt forked by the warm dbt holds `dbt.pid` open there.
 */
export async function dbtProcesses(runDate: string, opts: { step?: string; attempt?: number } = {}): Promise<number> {
  // <date>/<step>/run-<id>/attempt-N (or <step>/attempt-N, runs from before per-run folders).
  const marker = new RegExp(`/${runDate}/${opts.step ?? 'build'}/(run-[^/]+/)?attempt-${opts.attempt ?? '\\d+'}(/|$)`);
  const ps = await execa('ps', ['-eo', 'pid=,stat=,args='], { reject: false });
  let n = 0;
  for (const line of ps.stdout.split('\n')) {
    const [pid, stat, ...args] = line.trim().split(/\s+/);
    if (!pid || stat?.startsWith('Z') || args[0] === 'ps') continue;
    if (args.some((a) => marker.test(a))) n++;
    else if (args.some((a) => a.endsWith('forkserver.py')) && openFiles(pid).some((f) => marker.test(f) && f.endsWith('/dbt.pid'))) n++;
  }
  return n;
}

function openFiles(pid: string): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return '';
      }
    });
  } catch {
    return [];
  }
}

/** PostgreSQL sessions named `applicationName` (a dbt attempt's), only those running a query when `active`. */
export async function dbtSessions(db: pg.Pool | string, applicationName: string, opts: { active?: boolean } = {}): Promise<number> {
  const sql = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1${opts.active ? " AND state = 'active'" : ''}`;
  if (typeof db !== 'string') return (await db.query<{ n: number }>(sql, [applicationName])).rows[0]!.n;
  // A URL: a client of its own, for a server that was restarted under a pool's connections.
  const client = new pg.Client({ connectionString: db });
  await client.connect();
  try {
    return (await client.query<{ n: number }>(sql, [applicationName])).rows[0]!.n;
  } finally {
    await client.end();
  }
}
