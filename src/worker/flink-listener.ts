// The worker's ear on the Flink boundary: a marker row inserted into realtime.flink_batches
// NOTIFYs 'roas_flink_complete' with the date, and the waiting gate of that date is told to look
// at the table at once. A notification is a hint, never a proof: any role can send one, so its
// payload is used only when it is a date inside the input limits, and what opens a gate is the
// marker row the gate finds. A dropped connection is re-opened with back-off; whatever is missed
// meanwhile, the gate's periodic re-check of the table still finds.
import pg from 'pg';
import { parseBoundedDate } from '../core/limits';
import type { Logger } from '../platform/logger';

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
  const handling = new Set<string>();
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({ connectionString: opts.databaseUrl, application_name: 'roas-worker-listen' });
    client = c;
    c.on('notification', (msg) => {
      const runDate = boundedDate(msg.payload);
      if (!runDate) {
        opts.log.debug({ channel: msg.channel, payloadLength: msg.payload?.length ?? 0 }, 'ignored a notification whose payload is not a date inside the limits');
        return;
      }
      // One look per date at a time, however many notifications arrive for it.
      if (handling.has(runDate)) return;
      handling.add(runDate);
      opts
        .onMarker(runDate)
        .catch((err: Error) => opts.log.warn({ runDate, err: err.message }, 'could not signal the Flink gate; its re-check will find the marker'))
        .finally(() => handling.delete(runDate));
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

/** The notification's payload when it is a YYYY-MM-DD day from the earliest date to tomorrow (UTC); else undefined. */
export function boundedDate(payload: string | undefined): string | undefined {
  if (!payload || payload.length !== 10) return undefined;
  try {
    return parseBoundedDate(payload, 'payload');
  } catch {
    return undefined;
  }
}
