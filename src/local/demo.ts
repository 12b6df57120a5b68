// The demo day of `npm start`: on a database without events, yesterday's events (the Flink
// stand-in), Flink complete, then both pipelines for that date, so the first start shows a
// whole day end to end: runs in the Web UI, analytics tables, and a report to open.
import path from 'node:path';
import type { Client } from '@temporalio/client';
import pg from 'pg';
import type { Config } from '../platform/config';
import { addDays } from '../core/dates';
import { recordFlinkComplete } from '../client/flink-complete';
import { loadDay } from './generator/load';
import type { Logger } from '../platform/logger';
import { startDailyEtl, startDbtDailyRun } from '../client/runs';

export const DEMO_EVENTS = 200_000;
/** The demo's stream delivers this share of the day late: after the day's run, so the next night restates it. */
export const DEMO_LATE_SHARE = 0.002;

/** The demo day started: its date, the lines `npm start` prints about it, and its last line when it is done. */
export interface DemoDay {
  runDate: string;
  lines: string[];
  done: Promise<string>;
}

export async function startDemoDay(client: Client, config: Config, databaseUrl: string, log: Logger): Promise<DemoDay> {
  const runDate = addDays(new Date().toISOString().slice(0, 10), -1);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1, application_name: 'roas-demo' });
  try {
    const { rows } = await pool.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM realtime.ad_events) AS any');
    if (rows[0]!.any) {
      return { runDate, lines: ['  Demo day        : skipped (the database already has events)'], done: Promise.resolve('') };
    }
    const loaded = await loadDay(pool, { date: runDate, events: DEMO_EVENTS, seed: 42, lateShare: DEMO_LATE_SHARE, deliver: 'on-time' });
    await recordFlinkComplete(pool, { runDate, jobId: 'npm-start-demo' });
    log.info({ runDate, events: loaded.rows }, 'demo day loaded and reported complete');
  } finally {
    await pool.end();
  }
  const run = await startDbtDailyRun(client, config, runDate, { trigger: 'manual' });
  const report = path.join(config.reportsDir, runDate, 'index.html');
  const done = run.result().then(async () => {
    const etl = await startDailyEtl(client, config, runDate, { trigger: 'manual' });
    const r = await etl.result();
    // Then the stream's late deliveries of the day arrive, as real ones do: the next night (or
    // roas restate) restates the day, and roas restatements shows what moved.
    const late = new pg.Pool({ connectionString: databaseUrl, max: 1, application_name: 'roas-demo' });
    const delivered = await loadDay(late, { date: runDate, events: DEMO_EVENTS, seed: 42, lateShare: DEMO_LATE_SHARE, deliver: 'late', append: true }).finally(() => late.end());
    return `Demo day ${runDate} done: open ${r.report?.htmlPath ?? report} (then ${delivered.rows} late events of the day arrived: roas status --date ${runDate})`;
  });
  return {
    runDate,
    lines: [
      `  Demo day        : ${DEMO_EVENTS.toLocaleString('en-US')} events for ${runDate} (${DEMO_LATE_SHARE * 100} % of them delivered late, after the run), Flink complete; dbt run then daily ETL running now`,
      `  Report (soon)   : ${report}`,
    ],
    done,
  };
}
