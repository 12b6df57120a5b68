// How fast does a waiting daily run react to Flink, and what does orchestration cost?
//  - latency from the flink-complete hook (record + signal) to the dbt process being spawned,
//    while the run waits at the gate; p50 / p95 over repeated runs (Airflow's sensor default
//    polls every 60 s);
//  - orchestration overhead of a whole run: workflow start to result, minus dbt's own process time.
// Real parts: a Temporal dev server, the project's worker and activities, PostgreSQL, dbt.
//   npm run bench:flink-latency -- --runs 10 --events 20000
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { Command, Option } from 'commander';
import { createActivities } from '../activities';
import { createDbtRunner, type DbtRunner } from '../activities/dbt/runner';
import { temporalWorkflowStatus } from '../activities/etl/activities';
import { exitOnError } from '../src/cli-errors';
import { startDbtDailyRun } from '../src/client/runs';
import { addDays } from '../src/dates';
import { recordFlinkComplete, signalFlinkGate } from '../src/flink-complete';
import { loadDay } from '../src/generator/load';
import { benchDatabase, percentile, writeResult } from './lib';
import { ephemeralPort } from '../src/stack/ports';
import { spawnDevServer } from '../src/stack/temporal';
import { WORKFLOWS_PATH } from '../src/worker';
import { dbtProgressSignal, progressQuery } from '../workflows/signals';

async function main(): Promise<void> {
  const { runs, events } = new Command('bench:flink-latency')
    .addOption(new Option('--runs <n>', 'daily runs to measure').default(10).argParser(Number))
    .addOption(new Option('--events <n>', 'events per day').default(20_000).argParser(Number))
    .parse()
    .opts<{ runs: number; events: number }>();
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const bench = await benchDatabase('latency', 4);
  const { config, log, tools, url, pool } = bench;
  const port = await ephemeralPort();
  const server = await spawnDevServer({ binary: tools.temporal, port, logFile: path.join(config.localDir, 'bench', 'temporal.log') });
  const address = `127.0.0.1:${port}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address });

  // The real runner, instrumented: when was each dbt process spawned, and how long did it live?
  const real = createDbtRunner({ dbtBin: tools.dbt, projectDir: config.dbt.projectDir, databaseUrl: url, threads: config.dbt.threads });
  const spawns: { runDate: string; step: string; at: number; ms: number }[] = [];
  const runner: DbtRunner = async (inv, onEvent) => {
    const at = Date.now();
    const r = await real(inv, onEvent);
    spawns.push({ runDate: String(inv.vars?.run_date), step: inv.command, at, ms: r.durationMs });
    return r;
  };
  const taskQueue = 'bench-latency';
  const worker = await Worker.create({
    connection: native,
    taskQueue,
    workflowBundle: await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('WARN') }),
    activities: createActivities({
      runner,
      artifactsDir: path.join(config.localDir, 'bench', bench.name),
      pool,
      slack: undefined,
      channel: '#bench',
      log,
      reportProgress: (id, p) => client.workflow.getHandle(id).signal(dbtProgressSignal, p),
      reportsDir: path.join(config.localDir, 'bench', bench.name, 'reports'),
      workflowStatus: temporalWorkflowStatus(client),
      temporal: client,
    }),
  });
  const latencies: number[] = [];
  const overheads: { wallMs: number; dbtMs: number }[] = [];
  try {
    await worker.runUntil(async () => {
      for (let i = 0; i < runs; i++) {
        const runDate = addDays('2026-08-01', i);
        await loadDay(pool, { date: runDate, events, seed: i });
        const started = Date.now();
        const handle = await startDbtDailyRun(client, config, runDate, { taskQueue });
        while ((await handle.query(progressQuery)).step !== 'waiting-for-flink') await new Promise((r) => setTimeout(r, 20));
        await new Promise((r) => setTimeout(r, 200)); // the gate has checked the table and is waiting
        const hook = Date.now();
        await recordFlinkComplete(pool, { runDate });
        await signalFlinkGate(client, runDate);
        await handle.result();
        const finished = Date.now();
        const mine = spawns.filter((s) => s.runDate === runDate);
        latencies.push(mine[0]!.at - hook);
        // Overhead: everything but dbt's processes and the time we deliberately held the gate shut.
        const dbtMs = mine.reduce((sum, s) => sum + s.ms, 0);
        overheads.push({ wallMs: finished - started - (hook - started), dbtMs });
        process.stderr.write(`\rrun ${i + 1}/${runs}: hook → dbt spawn ${latencies.at(-1)} ms`);
      }
    });
  } finally {
    process.stderr.write('\n');
    await native.close();
    await connection.close();
    await server.stop();
    await bench.drop();
  }
  const overheadMs = overheads.map((o) => o.wallMs - o.dbtMs);
  const result = {
    benchmark: 'flink-complete to dbt start latency, and orchestration overhead',
    date: new Date().toISOString(),
    runs,
    eventsPerDay: events,
    hookToDbtSpawnMs: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), max: Math.max(...latencies), all: latencies },
    runAfterHook: overheads,
    overheadMs: { p50: percentile(overheadMs, 50), p95: percentile(overheadMs, 95) },
  };
  console.log(`\n${runs} daily runs, ${events.toLocaleString('en-US')} events per day`);
  console.log(`flink-complete hook → dbt process spawned: p50 ${result.hookToDbtSpawnMs.p50} ms, p95 ${result.hookToDbtSpawnMs.p95} ms, max ${result.hookToDbtSpawnMs.max} ms (target < 1000 ms; an Airflow sensor polls every 60 s)`);
  console.log(
    `whole run after the hook: p50 ${percentile(overheads.map((o) => o.wallMs), 50)} ms, of which dbt processes p50 ${percentile(overheads.map((o) => o.dbtMs), 50)} ms; orchestration overhead p50 ${result.overheadMs.p50} ms, p95 ${result.overheadMs.p95} ms`,
  );
  writeResult('flink-latency.json', result);
}

main().catch(exitOnError);
