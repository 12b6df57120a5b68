// `npm start` killed with -9 in the middle of its demo day's dbt build, then started again, as an
// operator would: the real src/local/start.ts (venv, its own PostgreSQL cluster and Temporal dev server
// under a local folder of the test's own, on ports of its own, the worker, the demo day). Shows:
// - its dbt does not outlive it (gone within seconds; the warm dbt kills what SIGINT did not stop);
// - the dev server it started outlives it and answers (it used to die of SIGPIPE at its next log
//   line), and `roas stack status` says the worker is gone and the servers answer (exit 1);
// - `roas status` names the lost attempt ("attempt 1 lost (worker gone)") before anything restarts;
// - the second `npm start` takes over both servers, the run finishes exactly once (one execution,
//   one ledger row, every event once), and Ctrl-C stops all of it.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { execa, type ResultPromise } from 'execa';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/platform/config';
import { addDays } from '../../src/core/dates';
import { workflowIds } from '../../src/core/signals';
import type { DbtDailyRunResult } from '../../src/core/types';
import { DEMO_EVENTS } from '../../src/local/demo';
import { readRecords, recordState, stackDir, stopRecorded } from '../../src/local/stack/pids';
import { ephemeralPort } from '../../src/local/stack/ports';
import { temporalAnswers } from '../../src/local/stack/temporal';
import { dbtProcesses, dbtSessions } from '../helpers/dbt';
import { eventually } from '../helpers/temporal';

const roas = path.join(PROJECT_ROOT, 'bin', 'roas');

describe('npm start killed with -9 mid-dbt, then started again', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'roas-crash-'));
  // PostgreSQL runs as `nobody` when the tests run as root: it must reach its data folder.
  chmodSync(root, 0o755);
  const localDir = path.join(root, 'local');
  const started: ResultPromise[] = [];

  afterAll(async () => {
    for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    // Whatever a failed test left running, stopped by its records (never by name).
    if (existsSync(stackDir(localDir))) await stopRecorded(localDir, { timeoutMs: () => 20_000 });
    rmSync(root, { recursive: true, force: true });
  }, 120_000);

  it('its dbt stops, the servers survive and are taken over, status names the lost attempt, the run finishes once', async () => {
    const [temporalPort, uiPort, httpPort, metricsPort, pgPort] = await Promise.all([ephemeralPort(), ephemeralPort(), ephemeralPort(), ephemeralPort(), ephemeralPort()]);
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? root,
      ROAS_LOCAL_DIR: localDir,
      ROAS_REPORTS_DIR: path.join(root, 'reports'),
      TEMPORAL_PORT: String(temporalPort),
      TEMPORAL_UI_PORT: String(uiPort),
      ROAS_HTTP_PORT: String(httpPort),
      TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      ROAS_PG_PORT: String(pgPort),
      ROAS_RETRY_INTERVAL: '2s',
      ROAS_SHUTDOWN_GRACE: '1s',
      LOG_LEVEL: 'info',
    };
    const npmStart = () => {
      // What `npm start` runs (tsx src/local/start.ts), as one process: the one `kill -9` hits.
      const p = execa(process.execPath, ['--import', 'tsx', 'src/local/start.ts'], { cwd: PROJECT_ROOT, env, extendEnv: false, reject: false, all: true, forceKillAfterDelay: false });
      started.push(p);
      const out: string[] = [];
      p.all.on('data', (chunk: Buffer) => out.push(chunk.toString()));
      let exited = false;
      void p.then(() => (exited = true));
      return { p, output: () => out.join(''), exited: () => exited };
    };
    const cli = (args: string[]) => execa(roas, args, { cwd: PROJECT_ROOT, env, extendEnv: false, reject: false, timeout: 60_000 });
    const dbUrl = `postgres://roas@127.0.0.1:${pgPort}/marketing_roas`;
    // The demo day npm start loads and runs on an empty database: yesterday (UTC).
    const runDate = addDays(new Date().toISOString().slice(0, 10), -1);

    // ---- the first npm start, killed with -9 while dbt builds the demo day -------------------
    const first = npmStart();
    await eventually(
      'the demo day\'s dbt build to execute SQL',
      async () => {
        if (first.exited()) throw new Error(`npm start exited: ${first.output().slice(-2000)}`);
        return (await dbtSessions(dbUrl, `roas-${runDate}-build-a1`, { active: true }).catch(() => 0)) > 0;
      },
      400_000,
      100,
    );
    const temporalRecord = readRecords(localDir).find((r) => r.kind === 'temporal');
    const postgresRecord = readRecords(localDir).find((r) => r.kind === 'postgres');
    expect(temporalRecord, 'npm start recorded the dev server it started').toBeDefined();
    expect(postgresRecord, 'npm start recorded the PostgreSQL it started').toBeDefined();
    first.p.kill('SIGKILL');
    const killedAt = Date.now();
    expect((await first.p).signal).toBe('SIGKILL');

    // Its dbt is gone within seconds (the warm dbt interrupts it, and kills it 1.5 s later).
    await eventually('the killed worker\'s dbt to stop', async () => (await dbtProcesses(runDate)) === 0, 20_000, 20);
    const dbtGoneMs = Date.now() - killedAt;
    console.log(`dbt of the killed npm start gone ${dbtGoneMs} ms after the kill`);
    expect(dbtGoneMs).toBeLessThan(10_000);

    // ---- in between: status names the lost attempt; the servers answer ------------------------
    let statusOut = '';
    await eventually(
      '`roas status` to name the lost attempt',
      async () => {
        const r = await cli(['status', '--date', runDate]);
        statusOut = `${r.stdout}\n${r.stderr}`;
        expect(r.stderr).not.toMatch(/\n\s+at /);
        return /attempt 1 lost \(worker gone\)/.test(r.stdout);
      },
      180_000,
      2_000,
    );
    const lostShownMs = Date.now() - killedAt;
    // The heartbeat timeout is 30 s; the rest is how often this test asks, on a busy machine.
    console.log(`status named the lost attempt ${lostShownMs} ms after the kill:\n${statusOut}`);
    expect(statusOut).toMatch(new RegExp(`live ${workflowIds.dbtDailyRun(runDate)}: dbt build.*; attempt 1 lost \\(worker gone\\), retry (at|due since) \\d\\d:\\d\\d UTC`));
    // The dev server outlived npm start by far longer than the 17 s it used to (SIGPIPE).
    expect(recordState(temporalRecord!).state).toBe('running');
    expect(await temporalAnswers(`127.0.0.1:${temporalPort}`, 5_000, 'default')).toBe(true);
    const stack = await cli(['stack', 'status']);
    expect(stack.exitCode, stack.stdout).toBe(1);
    expect(stack.stdout).toContain(`npm start (the worker) (pid ${first.p.pid}, task queue marketing-roas): not running`);
    expect(stack.stdout).toContain(`the Temporal dev server (pid ${temporalRecord!.pid}, 127.0.0.1:${temporalPort}): running, answering at 127.0.0.1:${temporalPort}`);
    expect(stack.stdout).toMatch(new RegExp(`PostgreSQL \\(pid ${postgresRecord!.pid}, .*\\): running, answering at 127\\.0\\.0\\.1:${pgPort}`));

    // ---- the second npm start: takes over both servers, finishes the run ----------------------
    const second = npmStart();
    const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    try {
      const client = new Client({ connection });
      const handle = client.workflow.getHandle(workflowIds.dbtDailyRun(runDate));
      const result = await Promise.race<DbtDailyRunResult>([
        handle.result() as Promise<DbtDailyRunResult>,
        second.p.then(() => Promise.reject(new Error(`the second npm start exited: ${second.output().slice(-2000)}`))),
      ]);
      expect(result.status).toBe('succeeded');
      expect(result.steps.find((s) => s.step === 'build')!.attempt).toBeGreaterThanOrEqual(2);
      expect(second.output()).toContain('taking over the Temporal dev server a previous npm start left running');
      expect(second.output()).toContain('taking over the local PostgreSQL a previous npm start left running');
      expect(second.output()).not.toContain('reusing the Temporal server');

      // Exactly once: one execution of the date's run, one ledger row, every event once.
      let executions = 0;
      for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowIds.dbtDailyRun(runDate)}'` })) if (wf.workflowId) executions++;
      expect(executions).toBe(1);
      const db = new pg.Client({ connectionString: dbUrl });
      await db.connect();
      try {
        const ledger = await db.query("SELECT status FROM orchestrator.pipeline_runs WHERE run_date = $1 AND pipeline = 'dbt_daily_run'", [runDate]);
        expect(ledger.rows).toEqual([{ status: 'succeeded' }]);
        // The demo holds a few late deliveries back until after its run: the run publishes exactly
        // the events of its cut, each once.
        const { rows } = await db.query<{ staged: number; distinct_events: number; cut: number }>(
          `SELECT (SELECT count(*)::int FROM analytics.stg_ad_events WHERE event_date = $1) AS staged,
                  (SELECT count(DISTINCT event_id)::int FROM analytics.stg_ad_events WHERE event_date = $1) AS distinct_events,
                  (SELECT rows::int FROM realtime_cut.cuts WHERE run_date = $1 AND published_at IS NOT NULL ORDER BY cut_id DESC LIMIT 1) AS cut`,
          [runDate],
        );
        expect(rows[0]!.staged).toBe(rows[0]!.cut);
        expect(rows[0]!.distinct_events).toBe(rows[0]!.staged);
        expect(rows[0]!.staged).toBeGreaterThan(DEMO_EVENTS * 0.99);
        expect(rows[0]!.staged).toBeLessThanOrEqual(DEMO_EVENTS);
      } finally {
        await db.end();
      }
    } finally {
      await connection.close();
    }

    // ---- Ctrl-C: the second npm start stops the worker and both servers it took over ----------
    second.p.kill('SIGINT');
    await second.p;
    expect(second.output()).toContain('Stopped the worker, the Temporal dev server and PostgreSQL: nothing this command started is still running.');
    expect(recordState(temporalRecord!).state).not.toBe('running');
    expect(readRecords(localDir)).toEqual([]);
    mkdirSync(stackDir(localDir), { recursive: true });
    expect(readdirSync(stackDir(localDir)).filter((f) => f.endsWith('.json'))).toEqual([]);
  }, 900_000);
});
