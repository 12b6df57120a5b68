// dbt by hand (`roas dbt`), what a failed run tells a person, and what trying a step may touch,
// on the real stack: the dev server, the project's worker, real dbt, PostgreSQL, the `roas`
// binary spawned as a user runs it, and the real Slack client talking to a local stand-in.
// Several dbt builds and CLI processes per test: their timeouts allow for a busy machine.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDbtDailyRun } from '../../src/client/runs';
import { PROJECT_ROOT, type Config } from '../../src/platform/config';
import { urlForRole } from '../../src/platform/db/roles';
import { recordFlinkComplete } from '../../src/client/flink-complete';
import { loadDay } from '../../src/local/generator/load';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import { withRealWorker } from '../helpers/real-worker';
import { startFakeSlack } from '../helpers/slack';
import { connectDevServer, uniqueTaskQueue } from '../helpers/temporal';

const BIN = path.join(PROJECT_ROOT, 'bin');

describe('roas dbt, the reproduce line and test-step on the real stack', () => {
  const db = useTestDatabase(import.meta.url);
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  let slack: Awaited<ReturnType<typeof startFakeSlack>>;
  let config: Config;
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'roas-by-hand-'));
  const artifactsDir = path.join(scratch, 'artifacts');
  const reportsDir = path.join(scratch, 'reports');
  const localDir = path.join(scratch, 'local');
  const taskQueue = uniqueTaskQueue('by-hand');

  beforeAll(async () => {
    temporal = await connectDevServer();
    slack = await startFakeSlack();
    config = testConfig({
      DBT_ARTIFACTS_DIR: artifactsDir,
      ROAS_REPORTS_DIR: reportsDir,
      SLACK_BOT_TOKEN: 'xoxb-by-hand-test',
      SLACK_API_URL: slack.url,
      TEMPORAL_TASK_QUEUE: taskQueue,
    });
  });
  afterAll(async () => {
    await temporal?.close();
    await slack?.close();
  });

  /** What a person's shell has: the project's bin/ on PATH, the settings the worker has. */
  const env = () => ({
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    DBT_ARTIFACTS_DIR: artifactsDir,
    ROAS_REPORTS_DIR: reportsDir,
    ROAS_LOCAL_DIR: localDir,
    LOG_LEVEL: 'warn',
    PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ''}`,
  });
  const roas = (args: string[]) => execa(path.join(BIN, 'roas'), args, { reject: false, timeout: 600_000, env: env() });
  /** A command line pasted into a shell, as it was printed. */
  const shell = (line: string) => execa('bash', ['-c', line], { reject: false, timeout: 600_000, env: env(), all: true });
  const withWorker = <T>(body: () => Promise<T>) => withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl: db.url, taskQueue }, body);
  const auditOwners = async (runDate: string) =>
    (
      await db.pool.query<{ relname: string; owner: string }>(
        `SELECT c.relname, pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'analytics_audit' AND c.relkind = 'r' AND c.relname LIKE $1 ORDER BY 1`,
        [`%\\_p${runDate.replaceAll('-', '')}`],
      )
    ).rows;
  /** Every file below a folder with its contents: what a reader of it sees. */
  const snapshot = (dir: string): Record<string, string> =>
    Object.fromEntries(
      readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((f) => statSync(path.join(dir, f)).isFile())
        .sort()
        .map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]),
    );

  it('a failed run names its cause; its reproduce line runs dbt as the run did; the next forced run succeeds; test-step report leaves the live report alone', async () => {
    const runDate = '2026-08-21';
    await loadDay(db.pool, { date: runDate, events: 10_000, seed: 21 });
    await recordFlinkComplete(db.pool, { runDate });
    // A fault only the role dbt runs as meets: the owner login (a superuser here) could still read.
    // (A run's models read the run's cut of the events, in realtime_cut.)
    await db.pool.query('REVOKE USAGE ON SCHEMA realtime_cut FROM roas_analytics_owner');

    await withWorker(async () => {
      const failed = await roas(['run', 'dbt', '--date', runDate, '--wait']);
      expect(failed.exitCode, failed.stderr).toBe(1);
      // The cause, not only the failing node's name.
      expect(failed.stderr).toMatch(/failed: dbt build failed: stg_ad_events\w* \(Database Error: permission denied for schema realtime_cut/);
      expect(failed.stderr).toContain(`Reproduce locally: roas dbt --date ${runDate} -- build --select tag:daily_run`);

      const alert = slack.messages().find((m) => String(m.body.text).includes(`dbt daily run failed for ${runDate}`));
      const line = /Reproduce locally: (.+)/.exec(String(alert?.body.text))?.[1];
      expect(line).toBe(`roas dbt --date ${runDate} -- build --select tag:daily_run --indirect-selection cautious --exclude test_type:unit`);
      const runResults = readdirSync(artifactsDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('run_results.json'));
      const before = Object.fromEntries(runResults.map((f) => [f, readFileSync(path.join(artifactsDir, f), 'utf8')]));

      // Pasted as printed: dbt runs as the run's dbt did (same server and port, same role, same
      // date) and fails the same way, with dbt's exit code.
      const same = await shell(line!);
      expect(same.exitCode, same.all).toBe(1);
      expect(same.all).toContain('permission denied for schema realtime_cut');
      expect(same.all).toMatch(new RegExp(`as roas_transform \\(role roas_analytics_owner\\) on 127\\.0\\.0\\.1:${new URL(db.url).port}/${db.name}`));

      // Fixed, the same line builds the day; what it built belongs to the role the runs build as.
      await db.pool.query('GRANT USAGE ON SCHEMA realtime_cut TO roas_analytics_owner');
      const fixed = await shell(line!);
      expect(fixed.exitCode, fixed.all).toBe(0);
      const owners = await auditOwners(runDate);
      expect(owners.map((o) => o.relname)).toContain('stg_ad_events_p20260821');
      expect(new Set(owners.map((o) => o.owner))).toEqual(new Set(['roas_analytics_owner']));
      // Its artifacts are its own: the failed run's are as they were.
      expect(Object.fromEntries(runResults.map((f) => [f, readFileSync(path.join(artifactsDir, f), 'utf8')]))).toEqual(before);
      expect(existsSync(path.join(artifactsDir, 'by-hand', runDate, 'dbt', 'run-by-hand', 'run_results.json'))).toBe(true);

      const forced = await roas(['run', 'dbt', '--date', runDate, '--force', '--wait']);
      expect(forced.exitCode, forced.stderr).toBe(0);
      expect(forced.stdout).toContain(`succeeded: ${runDate}`);
      const etl = await roas(['run', 'etl', '--date', runDate, '--wait']);
      expect(etl.exitCode, etl.stderr).toBe(0);
    });
    const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM analytics.fct_daily_metrics WHERE metric_date = $1', [runDate]);
    expect(rows[0]!.n).toBeGreaterThan(0);

    // Trying the report step never changes what readers open: the live report stays byte for
    // byte; the trial goes to a scratch folder the command names.
    const live = path.join(reportsDir, runDate);
    const liveBefore = snapshot(live);
    expect(liveBefore['validation.csv']!.trim().split('\n').length).toBeGreaterThanOrEqual(8);
    const tried = await roas(['test-step', 'report', '--date', runDate]);
    expect(tried.exitCode, tried.stderr).toBe(0);
    expect(snapshot(live)).toEqual(liveBefore);
    const trial = /: (\S+index\.html)$/m.exec(tried.stdout)?.[1];
    expect(trial, tried.stdout).toBe(path.join(localDir, 'test-step', 'reports', runDate, 'index.html'));
    expect(readFileSync(path.join(path.dirname(trial!), 'validation.csv'), 'utf8').trim().split('\n').length).toBe(
      liveBefore['validation.csv']!.trim().split('\n').length,
    );
   }, 1_800_000);

  it('a day\'s audit table left behind by the owner login is replaced by the next run, not a reason to fail; test-step dbt-build reloads no seed', async () => {
    const runDate = '2026-08-22';
    await loadDay(db.pool, { date: runDate, events: 5_000, seed: 22 });
    await recordFlinkComplete(db.pool, { runDate });
    // As someone running dbt or SQL by hand as the owner login would leave it.
    await db.pool.query(`CREATE TABLE analytics_audit.stg_ad_events_p20260822 AS SELECT date '${runDate}' AS event_date, 'left behind'::text AS note`);
    expect(await auditOwners(runDate)).toEqual([{ relname: 'stg_ad_events_p20260822', owner: 'roas' }]);
    const result = await withWorker(async () => (await startDbtDailyRun(temporal.client, config, runDate, { taskQueue, trigger: 'manual' })).result());
    expect(result.status).toBe('succeeded');
    const { rows } = await db.pool.query<{ owner: string; n: number }>(
      `SELECT pg_get_userbyid(c.relowner) AS owner, (SELECT count(*)::int FROM analytics.stg_ad_events WHERE event_date = $1) AS n
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'analytics' AND c.relname = 'stg_ad_events_p20260822'`,
      [runDate],
    );
    expect(rows).toEqual([{ owner: 'roas_analytics_owner', n: expect.any(Number) as number }]);
    expect(rows[0]!.n).toBeGreaterThan(0);

    // Trying the day's build never changes a published table: not even the seeds it would load.
    await db.pool.query("UPDATE analytics.campaigns SET campaign_name = 'published, not in the CSV' WHERE campaign_id = (SELECT min(campaign_id) FROM analytics.campaigns)");
    const published = async () => (await db.pool.query<Record<string, unknown>>('SELECT * FROM analytics.campaigns ORDER BY campaign_id')).rows;
    const seedsBefore = await published();
    const tried = await roas(['test-step', 'dbt-build', '--date', runDate]);
    expect(tried.exitCode, tried.stderr).toBe(0);
    expect(tried.stdout).toMatch(/success +stg_ad_events/);
    expect(await published()).toEqual(seedsBefore);

    // Dropping a day's table whoever owns it is dbt's alone: no other role may call it.
    for (const role of ['roas_orchestrator', 'roas_reporting', 'roas_ingest']) {
      const other = new pg.Client({ connectionString: urlForRole(db.url, role) });
      await other.connect();
      try {
        const refused = await other.query("SELECT analytics_audit.drop_audited_day('stg_ad_events_p20260822')").catch((e: { code?: string }) => e);
        expect((refused as { code?: string }).code, role).toBe('42501');
      } finally {
        await other.end();
      }
    }
   }, 900_000);
});
