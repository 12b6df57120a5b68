// Throughput of the Flink stand-in: generating CSV in memory, and generating + COPY into
// PostgreSQL (one day's partition, one transaction). Prints a table and writes
// bench/results/generator.json.   npm run bench:generator -- --events 1000000
import { Command, Option } from 'commander';
import { loadCampaigns } from '../src/local/generator/campaigns';
import { generateDayCsv } from '../src/local/generator/events';
import { loadDay } from '../src/local/generator/load';
import { benchDatabase, median, runIfMain, writeResult } from './lib';

export interface GeneratorResult {
  benchmark: string;
  date: string;
  events: number;
  repeat: number;
  inMemory: number[];
  withCopy: number[];
  medianInMemory: number;
  medianWithCopy: number;
}

export async function measureGenerator(opts: { events: number; repeat: number }): Promise<GeneratorResult> {
  const { events, repeat } = opts;
  const bench = await benchDatabase('generator', 1);
  const { pool } = bench;
  const campaigns = loadCampaigns();
  const memory: number[] = [];
  const copy: number[] = [];
  try {
    for (let i = 0; i < repeat; i++) {
      const t = process.hrtime.bigint();
      let bytes = 0;
      for (const chunk of generateDayCsv({ date: '2026-11-27', events, seed: i }, campaigns)) bytes += chunk.length;
      memory.push(events / (Number(process.hrtime.bigint() - t) / 1e9));
      if (bytes === 0) throw new Error('generated nothing');
      const loaded = await loadDay(pool, { date: '2026-11-27', events, seed: i });
      copy.push(loaded.eventsPerSecond);
      process.stderr.write(`\rgenerator: run ${i + 1}/${repeat}   `);
    }
  } finally {
    process.stderr.write('\n');
    await bench.drop();
  }
  return {
    benchmark: 'generator throughput',
    date: new Date().toISOString(),
    events,
    repeat,
    inMemory: memory,
    withCopy: copy,
    medianInMemory: median(memory),
    medianWithCopy: median(copy),
  };
}

export function printGenerator(r: GeneratorResult): void {
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(11);
  console.log(`\ngenerate-events, ${r.events.toLocaleString('en-US')} events per run, ${r.repeat} runs (median, min, max events/s)`);
  console.log(`CSV in memory          | ${fmt(r.medianInMemory)} | ${fmt(Math.min(...r.inMemory))} | ${fmt(Math.max(...r.inMemory))}`);
  console.log(`CSV + COPY + ANALYZE   | ${fmt(r.medianWithCopy)} | ${fmt(Math.min(...r.withCopy))} | ${fmt(Math.max(...r.withCopy))}`);
  console.log('target: 200,000 events/s with COPY');
}

runIfMain(import.meta.url, async () => {
  const opts = new Command('bench:generator')
    .addOption(new Option('--events <n>', 'events per run').default(1_000_000).argParser(Number))
    .addOption(new Option('--repeat <n>', 'runs of each kind').default(3).argParser(Number))
    .parse()
    .opts<{ events: number; repeat: number }>();
  const result = await measureGenerator(opts);
  printGenerator(result);
  writeResult('generator.json', result);
});
