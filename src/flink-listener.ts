// The worker's ear on the Flink boundary: a marker row inserted into realtime.flink_batches
// NOTIFYs 'roas_flink_complete' with the date, and the waiting gate of that date is signalled at
// once. A dropped connection is re-opened with back-off; whatever is missed meanwhile, the gate's
// periodic re-check of the table still finds.
import pg from 'pg';
import type { Logger } from './logger';

export const FLINK_COMPLETE_CHANNEL = 'roas_flink_complete';

export interface FlinkListener {
  /** Resolves once LISTEN is in place (or the first attempt failed; it keeps retrying). */
  ready: Promise<void>;
  close(): Promise<void>;
}

export function listenForFlinkMarkers(opts: { databaseUrl: string; log: Logger; onMarker: (runDate: string) => Promise<void> }): FlinkListener {
  let closed = false;
  let client: pg.Client | undefined;
  let retryMs = 1_000;
  let timer: NodeJS.Timeout | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({ connectionString: opts.databaseUrl, application_name: 'roas-worker-listen' });
    client = c;
    c.on('notification', (msg) => {
      const runDate = msg.payload ?? '';
      if (!/^\d{4}-\d{2}-\d{2}$/.test(runDate)) return;
      opts.log.info({ runDate }, 'Flink marker recorded; opening the date\'s gate');
      opts.onMarker(runDate).catch((err: Error) => opts.log.warn({ runDate, err: err.message }, 'could not signal the Flink gate; its re-check will find the marker'));
    });
    const retry = (err: Error) => {
      if (closed || client !== c) return;
      client = undefined;
      c.end().catch(() => {});
      opts.log.warn({ err: err.message, retryInSeconds: retryMs / 1000 }, 'lost the LISTEN connection for Flink markers; reconnecting');
      timer = setTimeout(() => void connect(), retryMs);
      retryMs = Math.min(retryMs * 2, 30_000);
    };
    c.on('error', retry);
    c.on('end', () => retry(new Error('connection ended')));
    try {
      await c.connect();
      await c.query(`LISTEN ${FLINK_COMPLETE_CHANNEL}`);
      retryMs = 1_000;
    } catch (err) {
      retry(err as Error);
    }
    markReady();
  };
  void connect();
  return {
    ready,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}
