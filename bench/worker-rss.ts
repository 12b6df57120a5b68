// The worker's memory while a daily run is in progress. Starts the production worker
// (node dist/worker.mjs from `npm run build`, pre-bundled workflows) as its own process, runs one
// daily run at --events per day, and samples the worker's RSS (and, apart, the dbt process's)
// every 100 ms. Prints a table, writes bench/results/worker-rss.json.
//   npm run bench:worker-rss -- --events 1000000
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Command, Option } from 'commander';
import { execa } from 'execa';
import { startDbtDailyRun } from '../src/client/runs';
import { PROJECT_ROOT } from '../src/platform/config';
import { recordFlinkComplete } from '../src/client/flink-complete';
import { loadDay } from '../src/local/generator/load';
import { ephemeralPort, waitUntil } from '../src/local/stack/ports';
import { spawnDevServer } from '../src/local/stack/temporal';
import { WORKER_BUILD_PATH } from '../src/platform/build-paths';
import { benchDatabase, runIfMain, writeResult } from './lib';

const rssKb = (pid: number): number => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
};

/** Descendants of a process (dbt and its helpers), from /proc. */
const descendants = (pid: number): number[] => {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const ppid = Number(/PPid:\s+(\d+)/.exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (p: number) => (children.get(p) ?? []).forEach((c) => (out.push(c), walk(c)));
  walk(pid);
  return out;
};

export interface RssResult {
  benchmark: string;
  date: string;
  events: number;
  runSeconds: number;
  idleMiB: number;
  peakWorkerMiB: number;
  peakDbtMiB: number;
  samples: number;
}

export async function measureWorkerRss({ events }: { events: number }): Promise<RssResult> {
  const build = await execa('npm', ['run', '-s', 'build'], { cwd: PROJECT_ROOT, reject: false, all: true });
  if (build.exitCode !== 0) throw new Error(`npm run build failed:\n${build.all}`);
  const bench = await benchDatabase('rss', 2);
  const port = await ephemeralPort();
  const server = await spawnDevServer({ binary: bench.tools.temporal, port, logFile: path.join(bench.config.localDir, 'bench', 'temporal-rss.log') });
  const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
  const client = new Client({ connection });
  const httpPort = await ephemeralPort();
  const taskQueue = 'bench-rss';
  const worker = execa(process.execPath, [WORKER_BUILD_PATH], {
    cwd: PROJECT_ROOT,
    reject: false,
    forceKillAfterDelay: false,
    env: {
      DATABASE_URL: bench.url,
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      TEMPORAL_TASK_QUEUE: taskQueue,
      ROAS_HTTP_PORT: String(httpPort),
      TEMPORAL_METRICS_ADDRESS: `127.0.0.1:${await ephemeralPort()}`,
      DBT_ARTIFACTS_DIR: path.join(bench.config.localDir, 'bench', bench.name),
      LOG_LEVEL: 'warn',
    },
  });
  const samples: { worker: number; dbt: number }[] = [];
  let sampling = true;
  try {
    await waitUntil('the worker to be healthy', async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).ok, { timeoutMs: 90_000 });
    const idleKb = rssKb(worker.pid!);
    const runDate = '2026-03-01';
    await loadDay(bench.pool, { date: runDate, events, seed: 1 });
    await recordFlinkComplete(bench.pool, { runDate });
    const sampler = (async () => {
      while (sampling) {
        const dbt = descendants(worker.pid!).reduce((sum, p) => sum + rssKb(p), 0);
        samples.push({ worker: rssKb(worker.pid!), dbt });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const started = Date.now();
    const handle = await startDbtDailyRun(client, bench.config, runDate, { taskQueue });
    const result = await handle.result();
    sampling = false;
    await sampler;
    if (result.status !== 'succeeded') throw new Error(`the daily run ended ${result.status}`);
    const peakWorker = Math.max(...samples.map((s) => s.worker));
    const peakDbt = Math.max(...samples.map((s) => s.dbt));
    return {
      benchmark: 'worker RSS during a daily run',
      date: new Date().toISOString(),
      events,
      runSeconds: (Date.now() - started) / 1000,
      idleMiB: idleKb / 1024,
      peakWorkerMiB: peakWorker / 1024,
      peakDbtMiB: peakDbt / 1024,
      samples: samples.length,
    };
  } finally {
    sampling = false;
    worker.kill('SIGTERM');
    await worker;
    await connection.close();
    await server.stop();
    await bench.drop();
  }
}

export function printWorkerRss(r: RssResult): void {
  console.log(`\ndaily run of ${r.events.toLocaleString('en-US')} events by the production worker (node dist/worker.mjs): ${r.runSeconds.toFixed(1)} s, ${r.samples} samples`);
  console.log(`worker RSS idle ${r.idleMiB.toFixed(1)} MiB, peak during the run ${r.peakWorkerMiB.toFixed(1)} MiB (target: 256 MiB reserved, 512 MiB limit)`);
  console.log(`dbt process tree RSS peak ${r.peakDbtMiB.toFixed(1)} MiB (a separate process, per step)`);
}

runIfMain(import.meta.url, async () => {
  const { events } = new Command('bench:worker-rss')
    .addOption(new Option('--events <n>', 'events in the day').default(1_000_000).argParser(Number))
    .parse()
    .opts<{ events: number }>();
  const result = await measureWorkerRss({ events });
  printWorkerRss(result);
  writeResult('worker-rss.json', result);
});
