// The daily run with OpenLineage on (to a local collector) and off, taking turns on one stack:
// the same worker, database and hour, the lineage observer switched on for every other run.
// Prints the medians and writes bench/results/lineage.json.
//   npm run bench:lineage -- --events 1000000 --runs 3
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command, Option } from 'commander';
import type { RunObserver } from '../activities/observers';
import { createLineageObserver, type LineageObserver } from '../activities/lineage/observer';
import { addDays } from '../src/core/dates';
import { createPipelineMetrics } from '../src/platform/metrics';
import { measureDailyRuns, type DailyRunSize } from './daily-run';
import { benchStack, median, runIfMain, writeResult } from './lib';

/** A local collector: counts the events it is sent. */
async function collector(): Promise<{ url: string; received: () => number; close: () => Promise<void> }> {
  let received = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received: () => received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Tells the lineage observer while `on` is true; nothing otherwise. */
function switchable(): { observer: RunObserver; set(target: LineageObserver | undefined): void } {
  let target: LineageObserver | undefined;
  const hook =
    <K extends 'runStarted' | 'runFinished' | 'dbtStepFinished' | 'dayPublished'>(k: K) =>
    (e: Parameters<NonNullable<RunObserver[K]>>[0]) =>
      (target?.[k] as ((e: unknown) => unknown) | undefined)?.call(target, e) as Promise<void> | void;
  return {
    observer: { name: 'openlineage', runStarted: hook('runStarted'), runFinished: hook('runFinished'), dbtStepFinished: hook('dbtStepFinished'), dayPublished: hook('dayPublished') },
    set: (t) => void (target = t),
  };
}

runIfMain(import.meta.url, async () => {
  const { events, runs } = new Command('bench:lineage')
    .addOption(new Option('--events <n>', 'events per day').default(1_000_000).argParser(Number))
    .addOption(new Option('--runs <n>', 'runs with lineage on, and as many off').default(3).argParser(Number))
    .parse()
    .opts<{ events: number; runs: number }>();
  const sink = await collector();
  const lineage = switchable();
  const stack = await benchStack('lineage', { observers: [lineage.observer] });
  const metrics = createPipelineMetrics();
  const config = { ...stack.bench.config, lineage: { transport: { type: 'http' as const, url: sink.url, endpoint: 'api/v1/lineage' }, namespace: 'roas-bench' } };
  const on = createLineageObserver({ config, pool: stack.bench.pool, log: stack.bench.log, metrics });
  const rows: (DailyRunSize & { lineage: boolean; eventsSent: number })[] = [];
  try {
    for (let i = 0; i < 2 * runs; i++) {
      const enabled = i % 2 === 1;
      lineage.set(enabled ? on : undefined);
      const before = sink.received();
      const [row] = await measureDailyRuns(stack, { sizes: [events], firstDate: addDays('2026-02-01', 3 * i) });
      // The queue drains in the background: give it a moment before counting what arrived.
      await new Promise((r) => setTimeout(r, 500));
      rows.push({ ...row!, lineage: enabled, eventsSent: sink.received() - before });
    }
  } finally {
    await on.close();
    await stack.close();
    await sink.close();
  }
  const summary = (enabled: boolean) => {
    const mine = rows.filter((r) => r.lineage === enabled);
    return { wallMs: median(mine.map((r) => r.wallMs)), fixedMs: median(mine.map((r) => r.fixedMs)), dbtElapsedMs: median(mine.map((r) => r.dbtElapsedMs)), eventsSent: mine.map((r) => r.eventsSent), walls: mine.map((r) => Math.round(r.wallMs)) };
  };
  const result = { off: summary(false), on: summary(true) };
  for (const [k, v] of Object.entries(result)) {
    console.log(`lineage ${k.padEnd(3)}: wall median ${(v.wallMs / 1000).toFixed(2)} s (${v.walls.map((w) => (w / 1000).toFixed(2)).join(', ')}), fixed ${(v.fixedMs / 1000).toFixed(2)} s, dbt own ${(v.dbtElapsedMs / 1000).toFixed(2)} s, events received ${v.eventsSent.join(', ')}`);
  }
  writeResult('lineage.json', { benchmark: 'daily run with OpenLineage on (local collector) and off, taking turns', date: new Date().toISOString(), events, runs: rows, ...result });
});
