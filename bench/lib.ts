// What every benchmark needs: the project's PostgreSQL (started if needed), a fresh migrated
// database of its own, the venv's tools; a Temporal stack with the project's worker; and a place
// for the JSON results.
import { signalFlinkGate } from '../src/client/flink-complete';
import { listenForFlinkMarkers } from '../src/worker/flink-listener';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import pg from 'pg';
import { createActivities } from '../activities';
import type { RunObserver } from '../activities/observers';
import { createDbtRunner, loadSeedsAtStart, saveSharedParse, type DbtRunner } from '../activities/dbt/runner';
import { temporalWorkflowStatus } from '../activities/etl/activities';
import { exitOnError } from '../src/platform/exit-on-error';
import { loadConfig, PROJECT_ROOT, type Config } from '../src/platform/config';
import { migrate } from '../src/platform/db/migrate';
import { urlForRole } from '../src/platform/db/roles';
import { withDatabase } from '../src/platform/db/url';
import { createLogger, type Logger } from '../src/platform/logger';
import { startPostgres } from '../src/local/stack/postgres';
import { ensureVenv } from '../src/local/stack/venv';
import type { VenvTools } from '../src/platform/tools';
import { ephemeralPort } from '../src/local/stack/ports';
import { ensureSearchAttributes } from '../src/platform/search-attributes';
import { spawnDevServer } from '../src/local/stack/temporal';
import { WORKFLOWS_PATH } from '../src/platform/build-paths';

export interface BenchDatabase {
  config: Config;
  log: Logger;
  tools: VenvTools;
  name: string;
  url: string;
  pool: pg.Pool;
  /** Drops the database and stops PostgreSQL if the benchmark started it. */
  drop(): Promise<void>;
}

export async function benchDatabase(label: string, poolSize = 2): Promise<BenchDatabase> {
  const config = loadConfig({ LOG_LEVEL: 'warn' });
  const log = createLogger('silent', 'bench');
  const tools = await ensureVenv(config, log);
  const postgres = await startPostgres(config, log);
  const name = `roas_bench_${label.replace(/\W+/g, '_')}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: withDatabase(postgres.url, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = withDatabase(postgres.url, name);
  await migrate(url);
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client ended by the server (the database dropped at the end) is not a crash.
  pool.on('error', () => {});
  return {
    config,
    log,
    tools,
    name,
    url,
    pool,
    drop: async () => {
      await pool.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      await postgres.stop();
    },
  };
}

export function writeResult(file: string, result: unknown): void {
  const out = path.join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, file), JSON.stringify(result, null, 2) + '\n');
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** A dbt process as the instrumented runner saw it: when it was spawned and how long it lived. */
export interface DbtSpawn {
  runDate: string;
  command: string;
  at: number;
  ms: number;
  targetPath: string;
}

export interface BenchStack {
  bench: BenchDatabase;
  client: Client;
  /** The bench's own Temporal dev server, host:port (for spawning the CLI against it). */
  address: string;
  taskQueue: string;
  /** Every dbt process the worker ran, in order. */
  spawns: DbtSpawn[];
  /** Runs `body` while the project's worker (real activities, real dbt) polls the task queue. */
  withWorker<T>(body: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The real parts a pipeline benchmark needs: a fresh database, a Temporal dev server of its own
 * and the project's workflows and activities in this process, with the dbt runner wrapped to
 * record when each dbt process starts and how long it lives.
 */
export async function benchStack(label: string, opts: { deployedRoles?: boolean; observers?: RunObserver[] } = {}): Promise<BenchStack> {
  installQuietRuntime();
  const bench = await benchDatabase(label, 4);
  const { config, log, tools, url, pool } = bench;
  // deployedRoles: dbt and publishing as the worker deploys them (the transform login, dbt
  // building as the owner role of analytics), not as the database owner's login.
  const roles = config.postgres.roles;
  const transformUrl = opts.deployedRoles ? urlForRole(url, roles.transform) : url;
  const publishPool = opts.deployedRoles ? new pg.Pool({ connectionString: transformUrl, max: 2 }) : undefined;
  publishPool?.on('error', () => {});
  const port = await ephemeralPort();
  const server = await spawnDevServer({ binary: tools.temporal, port, logFile: path.join(config.localDir, 'bench', `temporal-${label}.log`) });
  const address = `127.0.0.1:${port}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address });
  await ensureSearchAttributes(native, 'default');
  const artifacts = path.join(config.localDir, 'bench', bench.name);
  // As the worker does: one parse of the project, reused by every dbt process.
  const parseFile = path.join(artifacts, 'parse', 'partial_parse.msgpack');
  mkdirSync(path.dirname(parseFile), { recursive: true });
  // As the worker does: dbt kept warm (imported once, a fork per invocation) unless
  // ROAS_BENCH_PLAIN_DBT=1 asks for a new dbt process per step (the before figures).
  const real = createDbtRunner({
    dbtBin: tools.dbt,
    projectDir: config.dbt.projectDir,
    databaseUrl: transformUrl,
    ...(opts.deployedRoles ? { role: roles.analyticsOwner } : {}),
    threads: config.dbt.threads,
    sharedParseFile: parseFile,
    keepWarm: process.env.ROAS_BENCH_PLAIN_DBT !== '1',
  });
  await saveSharedParse(real, parseFile);
  await loadSeedsAtStart(real, artifacts);
  const spawns: DbtSpawn[] = [];
  const runner: DbtRunner = async (inv, onEvent) => {
    const at = Date.now();
    const r = await real(inv, onEvent);
    spawns.push({ runDate: String(inv.runDate), command: inv.command, at, ms: r.durationMs, targetPath: inv.targetPath });
    return r;
  };
  const taskQueue = `bench-${label}`;
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') });
  const activities = createActivities({
    runner,
    artifactsDir: artifacts,
    pool,
    ...(publishPool ? { publishPool } : {}),
    slack: undefined,
    channel: '#bench',
    log,
    reportsDir: path.join(artifacts, 'reports'),
    dbtProjectDir: path.join(PROJECT_ROOT, 'dbt'),
    lateData: config.lateData,
    workflowStatus: temporalWorkflowStatus(client),
    temporal: client,
    ...(opts.observers ? { observers: opts.observers } : {}),
  });
  return {
    bench,
    client,
    address,
    taskQueue,
    spawns,
    // A Temporal worker runs once: each measurement gets a new one on the same task queue.
    // As the worker does, it listens for Flink's marker rows and opens the date's gate.
    withWorker: async (body) => {
      const listener = listenForFlinkMarkers({ databaseUrl: url, log, onMarker: async (runDate) => void (await signalFlinkGate(client, runDate)) });
      await listener.ready;
      try {
        return await (await Worker.create({ connection: native, taskQueue, workflowBundle, activities })).runUntil(body());
      } finally {
        await listener.close();
      }
    },
    close: async () => {
      await real.close();
      await publishPool?.end();
      await native.close();
      await connection.close();
      await server.stop();
      await bench.drop();
    },
  };
}

let runtimeInstalled = false;
function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  runtimeInstalled = true;
}

export const median = (xs: number[]): number => percentile(xs, 50);

/** Runs `main` when the file is the command being run (not when the aggregate imports it). */
export function runIfMain(metaUrl: string, main: () => Promise<void>): void {
  if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(metaUrl)) main().catch(exitOnError);
}
