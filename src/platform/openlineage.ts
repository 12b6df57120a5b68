// Sends OpenLineage events (https://openlineage.io) to a collector, such as Marquez, or to a
// JSON-lines file, chosen by the same environment variables as OpenLineage's own clients. A run
// never waits for lineage: emit() puts the event in a bounded queue and returns; one sender
// drains it in the background, each request given a short time. A collector that is down or hangs
// costs events (counted, logged once), never a run's time or its outcome.
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { redactUrl } from './db/url';
import { ConfigError } from '../core/errors';

export type LineageTransport =
  | { type: 'off' }
  | { type: 'http'; url: string; endpoint: string; apiKey?: string }
  | { type: 'file'; path: string };

export interface LineageSettings {
  transport: LineageTransport;
  /** The namespace of the jobs (OPENLINEAGE_NAMESPACE). */
  namespace: string;
}

type Env = Record<string, string | undefined>;

const TRUE = new Set(['true', '1', 'yes']);

/**
 * The lineage settings from the environment, or a ConfigError naming each wrong variable:
 * OPENLINEAGE_DISABLED=true, or nothing set, is off; OPENLINEAGE__TRANSPORT__TYPE (http or file)
 * wins over OPENLINEAGE_URL, as in OpenLineage's clients.
 */
export function loadLineageSettings(env: Env): LineageSettings {
  const get = (name: string) => (env[name] === '' ? undefined : env[name]);
  const problems: string[] = [];
  const namespace = get('OPENLINEAGE_NAMESPACE') ?? 'roas';
  if (!/^[\w.:/@-]{1,200}$/.test(namespace)) problems.push(`  OPENLINEAGE_NAMESPACE=${JSON.stringify(namespace)}: expects a name such as roas or roas-production (letters, digits, . _ - : / @)`);
  const disabled = get('OPENLINEAGE_DISABLED');
  if (disabled !== undefined && !TRUE.has(disabled.toLowerCase()) && !['false', '0', 'no'].includes(disabled.toLowerCase())) {
    problems.push(`  OPENLINEAGE_DISABLED=${JSON.stringify(disabled)}: expects true or false`);
  }
  const type = get('OPENLINEAGE__TRANSPORT__TYPE')?.toLowerCase();
  let transport: LineageTransport = { type: 'off' };
  if (type === 'file') {
    const file = get('OPENLINEAGE__TRANSPORT__LOG_FILE_PATH');
    if (!file) problems.push('  OPENLINEAGE__TRANSPORT__LOG_FILE_PATH: unset, while OPENLINEAGE__TRANSPORT__TYPE=file: set the file the events are appended to, e.g. /var/log/roas/lineage.jsonl');
    else transport = { type: 'file', path: path.resolve(file) };
  } else if (type === 'http' || (type === undefined && get('OPENLINEAGE_URL'))) {
    const prefix = type === 'http' ? 'OPENLINEAGE__TRANSPORT__' : 'OPENLINEAGE_';
    const url = get(`${prefix}URL`);
    const endpoint = get(`${prefix}ENDPOINT`) ?? 'api/v1/lineage';
    const apiKey = get(type === 'http' ? 'OPENLINEAGE__TRANSPORT__AUTH__API_KEY' : 'OPENLINEAGE_API_KEY');
    const urlProblem = checkHttpUrl(url);
    if (urlProblem) problems.push(`  ${prefix}URL${url === undefined ? '' : `=${JSON.stringify(withoutPassword(url))}`}: ${urlProblem}`);
    else if (!/^[\w./~%-]*$/.test(endpoint)) problems.push(`  ${prefix}ENDPOINT=${JSON.stringify(endpoint)}: expects a path such as api/v1/lineage`);
    else transport = { type: 'http', url: url!, endpoint, ...(apiKey ? { apiKey } : {}) };
  } else if (type !== undefined) {
    problems.push(`  OPENLINEAGE__TRANSPORT__TYPE=${JSON.stringify(type)}: expects http or file (or unset it and set OPENLINEAGE_URL)`);
  }
  if (problems.length) throw new ConfigError(`Invalid configuration (see .env.example):\n${problems.join('\n')}`);
  if (disabled !== undefined && TRUE.has(disabled.toLowerCase())) transport = { type: 'off' };
  return { transport, namespace };
}

function checkHttpUrl(url: string | undefined): string | undefined {
  if (url === undefined) return 'unset: set the collector\'s address, e.g. http://marquez:5000';
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'expects an http:// or https:// URL, e.g. http://marquez:5000';
    return undefined;
  } catch {
    return 'expects a URL such as http://marquez:5000';
  }
}

/** A URL as shown in messages: its password never, a text that is no URL as it is. */
const withoutPassword = (url: string) => redactUrl(url, url);

/** Where the full request URL of an http transport is: the endpoint under the URL's path. */
export function lineageEndpoint(t: { url: string; endpoint: string }): string {
  const base = t.url.endsWith('/') ? t.url : `${t.url}/`;
  return new URL(t.endpoint.replace(/^\//, ''), base).toString();
}

/** What the emitter tells about itself: counters for /metrics and state changes for the log. */
export interface LineageReporter {
  sent?(): void;
  dropped?(reason: 'queue_full' | 'send_failed' | 'closed'): void;
  /** Once when events start to be lost, once when sending works again. */
  warn?(message: string, fields: Record<string, unknown>): void;
  info?(message: string, fields: Record<string, unknown>): void;
}

export interface LineageEmitterOptions {
  /** Events kept waiting at most; one more is dropped (default 1,000). */
  queueSize?: number;
  /** Each request's limit (default 2 s). */
  requestTimeoutMs?: number;
  /** How long close() waits for the queue to drain (default 2 s). */
  closeTimeoutMs?: number;
  reporter?: LineageReporter;
  /** Sends one event (default: by the transport); for tests of the queue. */
  send?: (event: unknown, signal: AbortSignal) => Promise<void>;
}

export interface LineageEmitter {
  readonly enabled: boolean;
  /** Queues the event; never throws, never waits. */
  emit(event: unknown): void;
  /** Waits up to closeTimeoutMs for the queue, then gives up what is left (counted as dropped). */
  close(): Promise<void>;
  stats(): { queued: number; sent: number; dropped: number };
}

export function createLineageEmitter(transport: LineageTransport, opts: LineageEmitterOptions = {}): LineageEmitter {
  const maxQueued = opts.queueSize ?? 1_000;
  const timeoutMs = opts.requestTimeoutMs ?? 2_000;
  const report = opts.reporter ?? {};
  const send = opts.send ?? (transport.type === 'off' ? undefined : transportSender(transport));
  const queue: unknown[] = [];
  let sent = 0;
  let dropped = 0;
  /** Whether events are being lost now (logged once on the way in, once on the way out). */
  let losing = false;
  let closed = false;
  let draining: Promise<void> | undefined;
  const inFlight = new AbortController();

  const lose = (reason: 'queue_full' | 'send_failed' | 'closed', detail: string) => {
    dropped++;
    report.dropped?.(reason);
    if (!losing && reason !== 'closed') {
      losing = true;
      report.warn?.('OpenLineage events are being dropped: the collector is unreachable, slow or refusing them; runs go on unaffected', { reason, detail, ...where(transport) });
    }
  };

  const drain = async () => {
    while (queue.length && send) {
      const event = queue.shift();
      const signal = AbortSignal.any([inFlight.signal, AbortSignal.timeout(timeoutMs)]);
      try {
        await send(event, signal);
        sent++;
        report.sent?.();
        if (losing) {
          losing = false;
          report.info?.('OpenLineage events are being delivered again', { dropped, ...where(transport) });
        }
      } catch (err) {
        lose(closed && inFlight.signal.aborted ? 'closed' : 'send_failed', err instanceof Error ? err.message : String(err));
      }
    }
  };

  return {
    enabled: Boolean(send),
    emit(event) {
      if (!send) return;
      if (closed || queue.length >= maxQueued) {
        lose(closed ? 'closed' : 'queue_full', closed ? 'the emitter is closed' : `${maxQueued} events already wait`);
        return;
      }
      queue.push(event);
      draining ??= drain().finally(() => (draining = undefined));
    },
    async close() {
      closed = true;
      if (draining) {
        let timer: NodeJS.Timeout | undefined;
        const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, opts.closeTimeoutMs ?? 2_000)));
        await Promise.race([draining, gaveUp]);
        clearTimeout(timer);
      }
      const left = queue.splice(0).length;
      for (let i = 0; i < left; i++) lose('closed', 'the worker stopped before it was sent');
      inFlight.abort();
      await draining;
    },
    stats: () => ({ queued: queue.length, sent, dropped }),
  };
}

function where(t: LineageTransport): Record<string, string> {
  if (t.type === 'http') return { collector: withoutPassword(lineageEndpoint(t)) };
  if (t.type === 'file') return { file: t.path };
  return {};
}

function transportSender(t: Exclude<LineageTransport, { type: 'off' }>): (event: unknown, signal: AbortSignal) => Promise<void> {
  if (t.type === 'file') {
    let made = false;
    return async (event) => {
      if (!made) await mkdir(path.dirname(t.path), { recursive: true });
      made = true;
      await appendFile(t.path, JSON.stringify(event) + '\n');
    };
  }
  const target = lineageEndpoint(t);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (t.apiKey) headers.authorization = `Bearer ${t.apiKey}`;
  return async (event, signal) => {
    const res = await fetch(target, { method: 'POST', headers, body: JSON.stringify(event), signal });
    // The body is read (and dropped) so the connection can be reused.
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`the collector answered HTTP ${res.status}`);
  };
}
