// The orchestrator against a plain Airflow DAG, side by side on one machine: the same day of
// events, the same dbt command line, the same publish. Alternates `roas run dbt --date D --force
// --wait` (the project's worker on its own Temporal dev server) with `airflow dags test
// roas_dbt_daily D` (Airflow 2.10.5 from bench/airflow/install.sh, SQLite metadata database,
// the DAG in bench/airflow/dags: BashOperator `dbt build`, then BashOperator publish), and
// reports for each the wall time, dbt's own time (run_results.json) and the difference.
// A benchmark only: not part of npm test.
//   npm run bench:airflow -- --events 1000000 --runs 5
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { execa } from 'execa';
import type pg from 'pg';
import { readRunResults } from '../src/artifacts/run-results';
import { createDbtRunner, saveSharedParse } from '../activities/dbt/runner';
import { PROJECT_ROOT } from '../src/platform/config';
import { urlForRole } from '../src/platform/db/roles';
import { workflowIds } from '../src/core/signals';
import { recordFlinkComplete } from '../src/client/flink-complete';
import { loadDay } from '../src/local/generator/load';
import type { dbtDailyRun } from '../workflows';
import { benchStack, median, runIfMain, writeResult } from './lib';

const ROAS = path.join(PROJECT_ROOT, 'bin', 'roas');
const AIRFLOW_VENV = path.join(PROJECT_ROOT, '.local', 'airflow-venv');
const AIRFLOW = path.join(AIRFLOW_VENV, 'bin', 'airflow');
const AIRFLOW_HOME = path.join(PROJECT_ROOT, '.local', 'airflow-home');
const DAG_ID = 'roas_dbt_daily';

export interface SideBySideRun {
  runner: 'roas' | 'airflow';
  round: number;
  /** Process start to exit of the command a user runs. */
  wallMs: number;
  /** dbt's own elapsed time (run_results.json). */
  dbtElapsedMs: number;
  /** wall − dbt's own time: everything the orchestrator, dbt's start-up and exit, and publishing add. */
  overheadMs: number;
  /** The dbt process, start to exit (roas: fork to exit; Airflow: the dbt_build task's bash process). */
  dbtProcessMs: number;
  /** The publish (roas: the activity's transaction; Airflow: the publish task's bash process, Python start-up included). */
  publishMs: number;
  /** A digest of the published fct_daily_metrics day after the run: equal for every run. */
  martDigest: string;
}

export interface SideBySide {
  events: number;
  runDate: string;
  airflowVersion: string;
  runs: SideBySideRun[];
  summary: Record<'roas' | 'airflow', { wallMs: number; dbtElapsedMs: number; overheadMs: number; dbtProcessMs: number; publishMs: number; wallRangeMs: [number, number]; overheadRangeMs: [number, number] }>;
}

/** The published day's metrics, as one digest: both runners must leave exactly the same rows. */
async function martDigest(pool: pg.Pool, runDate: string): Promise<string> {
  const { rows } = await pool.query<{ n: number; digest: string | null }>(
    `SELECT count(*)::int AS n, md5(string_agg(t::text, '|' ORDER BY campaign_id)) AS digest
     FROM analytics.fct_daily_metrics t WHERE metric_date = $1`,
    [runDate],
  );
  return `${rows[0]!.n}:${rows[0]!.digest ?? '-'}`;
}

/**
 * The state of the DAG's last test run (Airflow's metadata database), and how long each task's
 * bash process ran, from the timestamps Airflow logs when it starts and when it sees it exit
 * (`airflow dags test` records no task start times). It prints each line twice, in two formats:
 * the ISO one is read.
 */
async function airflowRecord(env: Record<string, string>, output: string): Promise<{ state: string; tasks: number[] }> {
  const script = [
    'import os, sqlite3',
    "db = sqlite3.connect(os.path.join(os.environ['AIRFLOW_HOME'], 'airflow.db'))",
    `row = db.execute("select state from dag_run where dag_id = '${DAG_ID}' order by id desc limit 1").fetchone()`,
    "print(row[0] if row else 'none')",
  ].join('\n');
  const { stdout: state } = await execa(path.join(AIRFLOW_VENV, 'bin', 'python'), ['-c', script], { env });
  const tasks: number[] = [];
  let startedAt: number | undefined;
  for (const m of output.matchAll(/^\[(\d{4}-\d\d-\d\dT[^\]]+)\] \{subprocess\.py:\d+\} INFO - (Running command|Command exited with return code)/gm)) {
    const at = Date.parse(m[1]!.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
    if (m[2] === 'Running command') startedAt = at;
    else if (startedAt !== undefined) tasks.push(at - startedAt);
  }
  return { state: state.trim(), tasks };
}

export async function measureSideBySide(opts: { events: number; runs: number; runDate: string }): Promise<SideBySide> {
  process.stderr.write('airflow: installing or checking Apache Airflow (bench/airflow/install.sh)\n');
  // The script itself (its shebang names bash): no shell is asked to interpret a command line.
  await execa(path.join(PROJECT_ROOT, 'bench', 'airflow', 'install.sh'), [], { stdio: ['ignore', 'inherit', 'inherit'] });
  const airflowVersion = (await execa(AIRFLOW, ['version'], { env: { AIRFLOW_HOME } })).stdout.trim().split('\n').pop() ?? '?';

  // Both sides as deployed: dbt on the transform login building as the owner role of analytics
  // (libpq's PGOPTIONS, as the worker's runner sets it), publishing on the transform login.
  const stack = await benchStack('airflow', { deployedRoles: true });
  const { bench, taskQueue, spawns } = stack;
  const artifacts = path.join(bench.config.localDir, 'bench', bench.name, 'airflow');
  const airflowEnv: Record<string, string> = {
    AIRFLOW_HOME,
    AIRFLOW__CORE__DAGS_FOLDER: path.join(PROJECT_ROOT, 'bench', 'airflow', 'dags'),
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    AIRFLOW__CORE__EXECUTOR: 'SequentialExecutor',
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${path.join(AIRFLOW_HOME, 'airflow.db')}`,
    DATABASE_URL: urlForRole(bench.url, bench.config.postgres.roles.transform),
    ROAS_DBT_OWNER_ROLE: bench.config.postgres.roles.analyticsOwner,
    ROAS_AIRFLOW_ARTIFACTS: artifacts,
    ROAS_DBT_THREADS: String(bench.config.dbt.threads),
  };
  const roasEnv = { DATABASE_URL: bench.url, TEMPORAL_ADDRESS: stack.address, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'warn' };
  const runs: SideBySideRun[] = [];
  const { runDate } = opts;
  try {
    // Airflow's dbt starts from one saved parse too, made the way the worker makes its own at
    // start (dbt parse, same environment): a deployment would ship it with the DAG.
    const parseFile = path.join(artifacts, 'parse', 'partial_parse.msgpack');
    mkdirSync(path.dirname(parseFile), { recursive: true });
    const plain = createDbtRunner({
      dbtBin: bench.tools.dbt,
      projectDir: bench.config.dbt.projectDir,
      databaseUrl: airflowEnv.DATABASE_URL!,
      role: bench.config.postgres.roles.analyticsOwner,
      threads: bench.config.dbt.threads,
    });
    const parsed = await saveSharedParse(plain, parseFile);
    if (parsed.exitCode !== 0 || !existsSync(parseFile)) throw new Error(`dbt parse failed: ${parsed.rawOutput}`);

    process.stderr.write(`airflow: loading ${opts.events.toLocaleString('en-US')} events for ${runDate}\n`);
    await loadDay(bench.pool, { date: runDate, events: opts.events, seed: 11 });
    await recordFlinkComplete(bench.pool, { runDate });

    const runRoas = async (round: number): Promise<SideBySideRun> => {
      const started = performance.now();
      const cli = await execa(ROAS, ['run', 'dbt', '--date', runDate, '--force', '--wait'], { reject: false, env: roasEnv });
      const wallMs = performance.now() - started;
      if (cli.exitCode !== 0) throw new Error(`roas run dbt --date ${runDate} failed:\n${cli.stdout}\n${cli.stderr}`);
      const spawn = spawns.filter((sp) => sp.runDate === runDate).at(-1)!;
      const results = readRunResults(spawn.targetPath);
      const result = await stack.client.workflow.getHandle<typeof dbtDailyRun>(workflowIds.dbtDailyRun(runDate)).result();
      const dbtElapsedMs = 1000 * (results?.elapsedSeconds ?? NaN);
      return { runner: 'roas', round, wallMs, dbtElapsedMs, overheadMs: wallMs - dbtElapsedMs, dbtProcessMs: spawn.ms, publishMs: result.published?.milliseconds ?? NaN, martDigest: await martDigest(bench.pool, runDate) };
    };
    const runAirflow = async (round: number): Promise<SideBySideRun> => {
      const dayDir = path.join(artifacts, runDate);
      const before = new Set(existsSync(dayDir) ? readdirSync(dayDir) : []);
      const started = performance.now();
      const cli = await execa(AIRFLOW, ['dags', 'test', DAG_ID, runDate], { reject: false, env: airflowEnv, all: true });
      const wallMs = performance.now() - started;
      writeFileSync(path.join(artifacts, `airflow-dags-test-${round}.log`), cli.all);
      const record = await airflowRecord(airflowEnv, cli.all);
      if (cli.exitCode !== 0 || record.state !== 'success') {
        throw new Error(`airflow dags test ${DAG_ID} ${runDate} failed (exit ${cli.exitCode}, DAG run ${record.state}):\n${cli.all.slice(-6000)}`);
      }
      const made = readdirSync(dayDir).filter((d) => !before.has(d));
      if (made.length !== 1) throw new Error(`expected one new dbt target folder under ${dayDir}, found ${made.length}`);
      const results = readRunResults(path.join(dayDir, made[0]!));
      const dbtElapsedMs = 1000 * (results?.elapsedSeconds ?? NaN);
      return {
        runner: 'airflow',
        round,
        wallMs,
        dbtElapsedMs,
        overheadMs: wallMs - dbtElapsedMs,
        dbtProcessMs: record.tasks[0] ?? NaN,
        publishMs: record.tasks[1] ?? NaN,
        martDigest: await martDigest(bench.pool, runDate),
      };
    };

    await stack.withWorker(async () => {
      // Neither is measured cold: one run of each first (the worker's first workflow task loads
      // its bundle; Airflow's first run compiles its modules' bytecode). The first also publishes
      // the day, so every measured run of either replaces a published day, as a re-run does.
      process.stderr.write('airflow: one unmeasured run of each\n');
      await runRoas(0);
      await runAirflow(0);
      for (let round = 1; round <= opts.runs; round++) {
        // Taking turns, and each going first every other round, so neither always runs on a
        // machine the other has just warmed (PostgreSQL's buffers, the page cache).
        const order = round % 2 === 1 ? [runRoas, runAirflow] : [runAirflow, runRoas];
        for (const run of order) {
          const r = await run(round);
          runs.push(r);
          process.stderr.write(`airflow: round ${round} ${r.runner.padEnd(7)} wall ${(r.wallMs / 1000).toFixed(2)} s, dbt ${(r.dbtElapsedMs / 1000).toFixed(2)} s, overhead ${(r.overheadMs / 1000).toFixed(2)} s\n`);
        }
      }
    });
  } finally {
    await stack.close();
  }
  const digests = new Set(runs.map((r) => r.martDigest));
  if (digests.size !== 1) throw new Error(`the runs published different rows for ${runDate}: ${[...digests].join(', ')}`);
  const summarize = (runner: 'roas' | 'airflow') => {
    const mine = runs.filter((r) => r.runner === runner);
    const pick = (f: (r: SideBySideRun) => number) => mine.map(f);
    const range = (xs: number[]): [number, number] => [Math.min(...xs), Math.max(...xs)];
    return {
      wallMs: median(pick((r) => r.wallMs)),
      dbtElapsedMs: median(pick((r) => r.dbtElapsedMs)),
      overheadMs: median(pick((r) => r.overheadMs)),
      dbtProcessMs: median(pick((r) => r.dbtProcessMs)),
      publishMs: median(pick((r) => r.publishMs)),
      wallRangeMs: range(pick((r) => r.wallMs)),
      overheadRangeMs: range(pick((r) => r.overheadMs)),
    };
  };
  return { events: opts.events, runDate, airflowVersion, runs, summary: { roas: summarize('roas'), airflow: summarize('airflow') } };
}

const s = (ms: number) => (ms / 1000).toFixed(2);
export function printSideBySide(r: SideBySide): void {
  console.log(`\nthe same ${r.events.toLocaleString('en-US')}-event day (${r.runDate}), the same dbt build and publish; medians of ${r.runs.length / 2} each, seconds (min–max)`);
  console.log('                                                  |  wall                 | dbt own | overhead (wall − dbt own) | dbt process | publish');
  const line = (label: string, x: SideBySide['summary']['roas']) =>
    console.log(
      `${label.padEnd(49)} | ${s(x.wallMs).padStart(6)} (${s(x.wallRangeMs[0])}–${s(x.wallRangeMs[1])}) | ${s(x.dbtElapsedMs).padStart(7)} | ${s(x.overheadMs).padStart(6)} (${s(x.overheadRangeMs[0])}–${s(x.overheadRangeMs[1])})      | ${s(x.dbtProcessMs).padStart(11)} | ${s(x.publishMs).padStart(7)}`,
    );
  line('roas run dbt --date D --force --wait', r.summary.roas);
  line(`airflow dags test ${DAG_ID} D (Airflow ${r.airflowVersion})`, r.summary.airflow);
  console.log(`published rows identical in every run: yes (${r.runs[0]?.martDigest.split(':')[0]} campaigns)`);
}

runIfMain(import.meta.url, async () => {
  const opts = new Command('bench:airflow')
    .addOption(new Option('--events <n>', 'events in the day').default(1_000_000).argParser(Number))
    .addOption(new Option('--runs <n>', 'measured runs of each').default(5).argParser(Number))
    .addOption(new Option('--date <YYYY-MM-DD>', 'the day').default('2026-01-10'))
    .parse()
    .opts<{ events: number; runs: number; date: string }>();
  const result = await measureSideBySide({ events: opts.events, runs: opts.runs, runDate: opts.date });
  printSideBySide(result);
  writeResult('airflow-side-by-side.json', { benchmark: 'roas against a plain Airflow DAG, same day, same dbt commands', date: new Date().toISOString(), ...result });
});
