import { mkdirSync, mkdtempSync, readdirSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { inject } from 'vitest';
import { createDbtRunner, saveSharedParse, type DbtCommand } from '../../activities/dbt/runner';
import { readRunResults, type DbtNodeResult } from '../../activities/dbt/run-results';
import { PROJECT_ROOT } from '../../src/config';
import { roleNames, urlForRole } from '../../src/db/roles';

/** The roles the test databases are migrated with (the default prefix). */
export const TEST_ROLES = roleNames('roas');

/**
 * Runs real dbt against a test database, each invocation in its own target path, all starting
 * from one saved parse (as the worker's runs do), made by the first invocation.
 */
export function dbtFor(databaseUrl: string, options: { sharedParse?: boolean; asOwner?: boolean } = {}) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'roas-dbt-'));
  const sharedParseFile = path.join(root, 'parse', 'partial_parse.msgpack');
  const runner = createDbtRunner({
    dbtBin: inject('dbtBin'),
    projectDir: path.join(PROJECT_ROOT, 'dbt'),
    // As the worker runs dbt: the transform login, building as the owner role of analytics (so
    // what these tests build, the worker's runs may replace). asOwner: as the URL's user instead.
    ...(options.asOwner ? { databaseUrl } : { databaseUrl: urlForRole(databaseUrl, TEST_ROLES.transform), role: TEST_ROLES.analyticsOwner }),
    threads: 4,
    keepWarm: true,
    ...(options.sharedParse === false ? {} : { sharedParseFile }),
  });
  let parsed: Promise<unknown> | undefined;
  let n = 0;
  return async (command: DbtCommand, opts: { runDate?: string; select?: string[]; extraArgs?: string[] } = {}) => {
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
    return { ...result, nodes, targetPath };
  };
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
