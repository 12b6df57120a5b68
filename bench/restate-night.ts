// A night with late data, on the real stack (Temporal dev server, the project's worker,
// PostgreSQL, dbt): 7 published days each receive late rows after their cut, then the night runs
// as the 00:00 launcher runs it — yesterday's run, then the look-back restating each late day as
// its own date's run, one after another. Prints the night's wall time and each day's, and writes
// bench/results/restate-night.json.
//   npm run bench:restate-night -- --events 1000000 --late 1000
import { Command, Option } from 'commander';
import { pipelineSettings } from '../src/client/runs';
import { recordFlinkComplete } from '../src/client/flink-complete';
import { addDays } from '../src/core/dates';
import { workflowIds } from '../src/core/signals';
import { loadDay } from '../src/local/generator/load';
import { backfill, dbtDailyRun, restate } from '../workflows';
import { benchStack, runIfMain, writeResult, type BenchStack } from './lib';

interface NightTiming {
  eventsPerDay: number;
  lateRowsPerDay: number;
  restatedDays: number;
  yesterdayMs: number;
  restateMs: number;
  nightMs: number;
  /** Each restated day's run, from the ledger: started to finished. */
  perDay: { runDate: string; status: string; ms: number }[];
}

/** Rows of a published day arriving now, as a streaming sink inserts them (conversions, so revenue moves). */
async function lateRows(stack: BenchStack, day: string, n: number): Promise<void> {
  await stack.bench.pool.query(
    `INSERT INTO realtime.ad_events (event_id, event_type, event_time, campaign_id, ad_group_id, channel, device, cost_micros, revenue_micros, currency, ingested_at)
     SELECT 'late-' || $1 || '-' || g, 'conversion', $1::date + interval '12 hours' + g * interval '1 second', 'cmp_001', 'cmp_001_ag1', 'google', 'mobile', 0, 2000000, 'USD', clock_timestamp()
     FROM generate_series(1, $2) g`,
    [day, n],
  );
}

async function loadDays(stack: BenchStack, dates: string[], events: number): Promise<void> {
  for (const [i, date] of dates.entries()) {
    process.stderr.write(`\rrestate-night: loading ${date} (${events.toLocaleString('en-US')} events)   `);
    await loadDay(stack.bench.pool, { date, events, seed: 200 + i });
    await recordFlinkComplete(stack.bench.pool, { runDate: date });
  }
  process.stderr.write('\n');
}

export async function measureNight(stack: BenchStack, opts: { events: number; late: number; lookback: number; from?: string }): Promise<NightTiming> {
  const { client, bench, taskQueue } = stack;
  const from = opts.from ?? '2026-03-01';
  const published = Array.from({ length: opts.lookback }, (_, i) => addDays(from, i));
  const yesterday = addDays(from, opts.lookback);
  const settings = pipelineSettings(bench.config);
  await loadDays(stack, published, opts.events);
  return stack.withWorker(async () => {
    process.stderr.write(`restate-night: publishing ${published[0]}..${published.at(-1)}\n`);
    await client.workflow.execute(backfill, {
      workflowId: `bench-night-publish-${Date.now().toString(36)}`,
      taskQueue,
      args: [{ pipeline: 'dbt', from: published[0]!, to: published.at(-1)!, concurrency: 1, settings }],
    });
    for (const day of published) await lateRows(stack, day, opts.late);
    await loadDays(stack, [yesterday], opts.events);

    process.stderr.write(`restate-night: the night of ${addDays(yesterday, 1)}\n`);
    const started = performance.now();
    await client.workflow.execute(dbtDailyRun, { workflowId: workflowIds.dbtDailyRun(yesterday), taskQueue, args: [{ runDate: yesterday, ...settings }] });
    const yesterdayMs = performance.now() - started;
    const result = await client.workflow.execute(restate, { workflowId: `bench-night-restate-${Date.now().toString(36)}`, taskQueue, args: [{ through: published.at(-1)!, settings }] });
    const nightMs = performance.now() - started;
    const { rows } = await bench.pool.query<{ run_date: string; status: string; ms: number }>(
      `SELECT run_date::text, status, extract(epoch FROM finished_at - started_at) * 1000 AS ms FROM orchestrator.pipeline_runs
       WHERE trigger = 'restatement' ORDER BY run_date`,
    );
    if (result.days.length !== published.length || result.days.some((d) => d.status !== 'restated')) {
      throw new Error(`the night restated ${result.days.map((d) => `${d.runDate} ${d.status}`).join(', ') || 'nothing'}; expected all of ${published.join(', ')}`);
    }
    return { eventsPerDay: opts.events, lateRowsPerDay: opts.late, restatedDays: result.days.length, yesterdayMs, restateMs: nightMs - yesterdayMs, nightMs, perDay: rows.map((r) => ({ runDate: r.run_date, status: r.status, ms: Number(r.ms) })) };
  });
}

function printNight(t: NightTiming): void {
  console.log(`\nA night: yesterday's run, then ${t.restatedDays} published days restated (${t.eventsPerDay.toLocaleString('en-US')} events a day, ${t.lateRowsPerDay.toLocaleString('en-US')} late rows each)`);
  console.log(`yesterday's run          ${(t.yesterdayMs / 1000).toFixed(1)} s`);
  console.log(`the look-back (restated) ${(t.restateMs / 1000).toFixed(1)} s`);
  console.log(`the night                ${(t.nightMs / 1000).toFixed(1)} s`);
  for (const d of t.perDay) console.log(`  ${d.runDate} ${d.status.padEnd(9)} ${(d.ms / 1000).toFixed(1)} s`);
}

runIfMain(import.meta.url, async () => {
  const { events, late } = new Command('bench:restate-night')
    .addOption(new Option('--events <n>', 'events per day').default(1_000_000).argParser(Number))
    .addOption(new Option('--late <n>', 'late rows added to each published day').default(1_000).argParser(Number))
    .parse()
    .opts<{ events: number; late: number }>();
  const stack = await benchStack('restate-night');
  try {
    const timing = await measureNight(stack, { events, late, lookback: stack.bench.config.lateData.lookbackDays });
    printNight(timing);
    writeResult('restate-night.json', { benchmark: 'a night: yesterday plus the look-back restated', date: new Date().toISOString(), ...timing });
  } finally {
    await stack.close();
  }
});
