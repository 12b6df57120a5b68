// A 7-day backfill through the durable backfill workflow, at concurrency 1 and then 2, on the
// real stack (Temporal dev server, the project's worker, PostgreSQL, dbt). The second pass
// re-runs the same dates with --force, so both do the same work.
// Prints a table and writes bench/results/backfill.json.
//   npm run bench:backfill -- --days 7 --events 1000000
import { Command, Option } from 'commander';
import { pipelineSettings } from '../src/client/runs';
import { addDays } from '../src/core/dates';
import { recordFlinkComplete } from '../src/client/flink-complete';
import { loadDay } from '../src/local/generator/load';
import { backfill } from '../workflows';
import { benchStack, runIfMain, writeResult, type BenchStack } from './lib';

export interface BackfillTiming {
  concurrency: number;
  days: number;
  eventsPerDay: number;
  wallMs: number;
  perDayMs: number;
  /** The dbt processes' time added up: more than the wall time when dates overlap. */
  dbtProcessMs: number;
}

export async function measureBackfill(stack: BenchStack, opts: { days: number; events: number; from?: string; concurrencies?: number[] }): Promise<BackfillTiming[]> {
  const { client, bench, taskQueue, spawns } = stack;
  const from = opts.from ?? '2026-02-01';
  const to = addDays(from, opts.days - 1);
  for (let i = 0; i < opts.days; i++) {
    const date = addDays(from, i);
    process.stderr.write(`\rbackfill: loading ${date} (${opts.events.toLocaleString('en-US')} events)   `);
    await loadDay(bench.pool, { date, events: opts.events, seed: 100 + i });
    await recordFlinkComplete(bench.pool, { runDate: date });
  }
  process.stderr.write('\n');
  const out: BackfillTiming[] = [];
  await stack.withWorker(async () => {
    for (const concurrency of opts.concurrencies ?? [1, 2]) {
      const firstSpawn = spawns.length;
      const started = performance.now();
      const results = await client.workflow.execute(backfill, {
        workflowId: `bench-backfill-${from}-${to}-c${concurrency}-${Date.now().toString(36)}`,
        taskQueue,
        args: [{ pipeline: 'dbt', from, to, concurrency, force: concurrency > 1, settings: pipelineSettings(bench.config) }],
      });
      const wallMs = performance.now() - started;
      const bad = results.filter((r) => r.status !== 'succeeded');
      if (bad.length) throw new Error(`backfill at concurrency ${concurrency}: ${bad.map((r) => `${r.runDate} ${r.status}: ${r.detail}`).join('; ')}`);
      const dbtProcessMs = spawns.slice(firstSpawn).reduce((sum, s) => sum + s.ms, 0);
      out.push({ concurrency, days: opts.days, eventsPerDay: opts.events, wallMs, perDayMs: wallMs / opts.days, dbtProcessMs });
      process.stderr.write(`backfill: ${opts.days} days at concurrency ${concurrency} in ${(wallMs / 1000).toFixed(1)} s\n`);
    }
  });
  return out;
}

export function printBackfill(rows: BackfillTiming[]): void {
  console.log(`\n${rows[0]!.days}-day backfill of the dbt daily run, ${rows[0]!.eventsPerDay.toLocaleString('en-US')} events per day`);
  console.log('concurrency |  wall (s) | per day (s) | dbt processes added up (s)');
  for (const r of rows) {
    console.log(`${String(r.concurrency).padStart(11)} | ${(r.wallMs / 1000).toFixed(1).padStart(9)} | ${(r.perDayMs / 1000).toFixed(1).padStart(11)} | ${(r.dbtProcessMs / 1000).toFixed(1)}`);
  }
  if (rows.length === 2) console.log(`speed-up at concurrency 2: ${(rows[0]!.wallMs / rows[1]!.wallMs).toFixed(2)}×`);
}

runIfMain(import.meta.url, async () => {
  const { days, events, concurrency } = new Command('bench:backfill')
    .addOption(new Option('--days <n>', 'dates in the backfill').default(7).argParser(Number))
    .addOption(new Option('--events <n>', 'events per day').default(1_000_000).argParser(Number))
    .addOption(new Option('--concurrency <list>', 'the concurrencies to measure, comma-separated, each over the same dates').default([1, 2]).argParser((v) => v.split(',').map(Number)))
    .parse()
    .opts<{ days: number; events: number; concurrency: number[] }>();
  const stack = await benchStack('backfill');
  try {
    const rows = await measureBackfill(stack, { days, events, concurrencies: concurrency });
    printBackfill(rows);
    writeResult('backfill.json', { benchmark: 'backfill wall time by concurrency', date: new Date().toISOString(), runs: rows });
  } finally {
    await stack.close();
  }
});
