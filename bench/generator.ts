// Throughput of the Flink stand-in: generating CSV in memory, and generating + COPY into
// PostgreSQL (one day's partition, one transaction). Prints a table and writes
// bench/results/generator.json.   npm run bench:generator -- --events 1000000
import { Command, Option } from 'commander';
import { exitOnError } from '../src/cli-errors';
import { loadCampaigns } from '../src/generator/campaigns';
import { generateDayCsv } from '../src/generator/events';
import { loadDay } from '../src/generator/load';
import { benchDatabase, writeResult } from './lib';

async function main(): Promise<void> {
  const { events, repeat } = new Command('bench:generator')
    .addOption(new Option('--events <n>', 'events per run').default(1_000_000).argParser(Number))
    .addOption(new Option('--repeat <n>', 'runs of each kind').default(3).argParser(Number))
    .parse()
    .opts<{ events: number; repeat: number }>();
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
    }
  } finally {
    await bench.drop();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(11);
  console.log(`generate-events, ${events.toLocaleString('en-US')} events per run, ${repeat} runs (median, min, max events/s)`);
  console.log(`CSV in memory          | ${fmt(median(memory))} | ${fmt(Math.min(...memory))} | ${fmt(Math.max(...memory))}`);
  console.log(`CSV + COPY + ANALYZE   | ${fmt(median(copy))} | ${fmt(Math.min(...copy))} | ${fmt(Math.max(...copy))}`);
  console.log('target: 200,000 events/s with COPY');
  writeResult('generator.json', { benchmark: 'generator throughput', date: new Date().toISOString(), events, repeat, inMemory: memory, withCopy: copy });
}

main().catch(exitOnError);
