// Loads generated days into realtime.ad_events with COPY, one transaction per day: the day's
// partition is emptied and refilled, so a failure leaves the previous rows, never half a day.
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadCampaigns } from './campaigns';
import { AD_EVENT_COLUMNS, generateDayCsv, type DayOptions } from './events';

export interface LoadedDay {
  date: string;
  rows: number;
  seconds: number;
  eventsPerSecond: number;
}

export async function loadDay(pool: pg.Pool, opts: DayOptions & { append?: boolean }): Promise<LoadedDay> {
  const campaigns = loadCampaigns();
  const started = process.hrtime.bigint();
  const client = await pool.connect();
  let rows = 0;
  try {
    await client.query('BEGIN');
    const { rows: part } = await client.query<{ name: string }>('SELECT realtime.ensure_ad_events_partition($1::date) AS name', [opts.date]);
    const partition = `realtime.${client.escapeIdentifier(part[0]!.name)}`;
    if (!opts.append) await client.query(`TRUNCATE ${partition}`);
    const generator = generateDayCsv(opts, campaigns);
    const source = Readable.from(
      (function* () {
        rows = yield* generator;
      })(),
    );
    // Appending goes through the parent, on which the ingest role (which may only insert) holds its grant.
    const target = opts.append ? 'realtime.ad_events' : partition;
    const sink = client.query(copyFrom(`COPY ${target} (${AD_EVENT_COLUMNS.join(', ')}) FROM STDIN WITH (FORMAT csv)`));
    await pipeline(source, sink);
    // Only the owner may (for the ingest role PostgreSQL would skip it with a warning).
    if (!opts.append) await client.query(`ANALYZE ${partition}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { date: opts.date, rows, seconds, eventsPerSecond: rows / Math.max(seconds, 1e-9) };
}
