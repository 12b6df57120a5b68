// The dashboard's HTTP routes, served by the worker's health server beside /healthz and
// /metrics: the page (/), its script, its data (api/dashboard), a run date's dbt logs and its
// report. GET and HEAD only; every route checks access first (see access.ts); nothing it does
// writes anything, and the database is read in a READ ONLY transaction.
import { readFile } from 'node:fs/promises';
import type http from 'node:http';
import type { Config } from '../platform/config';
import { decideAccess, TOKEN_COOKIE, tokenMatches } from './access';
import { loadDashboard, parseWindowQuery, scrub, type Dashboard, type DashboardSources, type WindowOptions } from './data';
import { UsageError } from '../core/errors';
import { parseBoundedDate } from '../core/limits';
import { pipelineNamed } from '../core/pipelines';
import { dbtLogTails, reportFile, type Pipeline } from './files';
import { CLIENT_JS, renderPage, sectionHash } from './page';
import { renderSections } from './render';
import { modelRoutes } from './model-routes';

/** What the dashboard reads (see DashboardSources), and how it is served. */
export interface DashboardOptions extends DashboardSources {
  /** ROAS_DASHBOARD_TOKEN: required from every client when set; loopback clients only when not. */
  token?: string;
  /** Requests within this many milliseconds of each other share one gathering of the data (default 1000). */
  shareMs?: number;
  /** Where a request that could not be served says why (the worker's log); the client gets a sentence without it. */
  onError?: (err: Error) => void;
}

/** At most this many different windows are gathered at once; more answer 429 until one is done. */
const MAX_GATHERING = 3;
/** A gathering that takes longer than this answers 503 (its queries stop at their own statement timeout). */
const GATHER_DEADLINE_MS = 20_000;

export interface DashboardRoutes {
  /** Serves the request if it is one of the dashboard's; false otherwise (the caller answers 404). */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean;
}

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; frame-ancestors 'none'";

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.setHeader('cache-control', 'no-store');
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

export function createDashboardRoutes(opts: DashboardOptions): DashboardRoutes {
  const secrets = [...(opts.secrets ?? []), ...(opts.token ? [opts.token] : [])];
  const sources: DashboardSources = { ...opts, secrets };
  const gather = sharedGathering(sources, opts.shareMs ?? 1_000);
  const failed = (res: http.ServerResponse, err: unknown) => {
    if (err instanceof UsageError) return send(res, 400, 'text/plain; charset=utf-8', `${err.message}\n`);
    if (err instanceof Busy) return send(res, 429, 'text/plain; charset=utf-8', 'The dashboard is busy with other requests: try again in a few seconds.\n', { 'retry-after': '5' });
    opts.onError?.(new Error(scrub((err as Error).message ?? String(err), secrets)));
    send(res, 503, 'text/plain; charset=utf-8', 'The dashboard could not read its data in time (PostgreSQL or Temporal did not answer); the worker\'s log says why. Try again shortly.\n');
  };

  const routes: Route[] = [
    ...modelRoutes(sources, send),
    ...pageRoutes(gather),
    ...fileRoutes(opts, secrets),
  ];

  return {
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
      const route = routes.find((r) => r.match.test(url.pathname));
      if (!route) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, 'text/plain; charset=utf-8', 'The dashboard only reads: GET or HEAD.\n', { allow: 'GET, HEAD' });
        return true;
      }
      if (tokenInAddress(url, opts.token, res)) return true;
      const access = decideAccess(req, opts.token);
      if (!access.ok) {
        send(res, access.status, 'text/plain; charset=utf-8', `${access.message}\n`, access.status === 401 ? { 'www-authenticate': 'Bearer realm="roas-dashboard"' } : {});
        return true;
      }
      const m = route.match.exec(url.pathname)!;
      Promise.resolve(route.serve(req, res, url, m)).catch((err: unknown) => {
        if (!res.headersSent) failed(res, err);
        else res.end();
      });
      return true;
    },
  };
}

type Route = { match: RegExp; serve: (req: http.IncomingMessage, res: http.ServerResponse, url: URL, m: RegExpExecArray) => Promise<void> | void };

/** Requests within shareMs of each other share one gathering of a window; at most MAX_GATHERING at once, each within its deadline. */
function sharedGathering(sources: DashboardSources, shareMs: number): (window: WindowOptions) => Promise<Dashboard> {
  const recent = new Map<string, { at: number; data: Promise<Dashboard> }>();
  let gathering = 0;
  return (window: WindowOptions): Promise<Dashboard> => {
    const key = `${window.end ?? ''}/${window.days ?? ''}`;
    const hit = recent.get(key);
    if (hit && Date.now() - hit.at < shareMs) return hit.data;
    if (gathering >= MAX_GATHERING) return Promise.reject(new Busy());
    if (recent.size > 20) recent.clear();
    gathering++;
    const data = withDeadline(loadDashboard(sources, window), GATHER_DEADLINE_MS).finally(() => gathering--);
    recent.set(key, { at: Date.now(), data });
    data.catch(() => recent.delete(key));
    return data;
  };
}

/** The page, its script, and its data (whole, or only the sections that changed). */
function pageRoutes(gather: (window: WindowOptions) => Promise<Dashboard>): Route[] {
  return [
    {
      match: /^\/(?:index\.html)?$/,
      serve: async (req, res, url) => {
        const d = await gather(parseWindowQuery(url.searchParams));
        send(res, 200, 'text/html; charset=utf-8', renderPage(d), { 'content-security-policy': PAGE_CSP });
      },
    },
    {
      match: /^\/dashboard\.js$/,
      serve: (_req, res) => send(res, 200, 'text/javascript; charset=utf-8', CLIENT_JS),
    },
    {
      match: /^\/api\/dashboard$/,
      serve: async (_req, res, url) => {
        const d = await gather(parseWindowQuery(url.searchParams));
        const html = renderSections(d);
        const hashes = Object.fromEntries(Object.entries(html).map(([k, v]) => [k, sectionHash(v)]));
        // The page asks for its sections only, and only those that changed since the hashes it has.
        if (url.searchParams.get('sections') === 'changed') {
          const have = new Set((url.searchParams.get('have') ?? '').split(','));
          const changed = Object.fromEntries(Object.entries(html).filter(([k]) => !have.has(hashes[k]!)));
          return send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ generatedAt: d.generatedAt, html: changed, hashes }));
        }
        send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ dashboard: d, html, hashes }));
      },
    },
  ];
}

/** A run date's dbt logs and its report files, read from the worker's folders. */
function fileRoutes(opts: DashboardOptions, secrets: string[]): Route[] {
  return [
    {
      match: /^\/logs\/(\w+)\/(\d{4}-\d{2}-\d{2})$/,
      serve: async (_req, res, _url, m) => {
        const [definition, date] = [pipelineNamed(m[1]!), parseBoundedDate(m[2]!, 'the date')];
        if (!definition) return send(res, 404, 'text/plain; charset=utf-8', 'no such pipeline\n');
        const pipeline: Pipeline = definition.name;
        const tails = await dbtLogTails(opts.artifactsDir, pipeline, date);
        const command = `roas logs ${definition.key} --date ${date}`;
        const body = tails.length
          ? tails.map((t) => `==> ${t.step} ${t.attempt}: ${t.file}${t.truncated ? ' (its last lines)' : ''}\n${t.lines.join('\n')}`).join('\n\n')
          : `No dbt log of ${pipeline} ${date} on this worker (artifacts are kept by the worker that ran the step). On the machine that ran it: ${command}`;
        send(res, 200, 'text/plain; charset=utf-8', `${scrub(body, secrets)}\n`);
      },
    },
    {
      match: /^\/reports\/(\d{4}-\d{2}-\d{2})$/,
      serve: (_req, res, _url, m) => send(res, 308, 'text/plain; charset=utf-8', 'see the report folder\n', { location: `${m[1]}/` }),
    },
    {
      match: /^\/reports\/(\d{4}-\d{2}-\d{2})\/([a-z0-9_.]*)$/,
      serve: async (_req, res, _url, m) => {
        const file = reportFile(opts.reportsDir, parseBoundedDate(m[1]!, 'the date'), m[2] || 'index.html');
        const body = file ? await readFile(file).catch(() => undefined) : undefined;
        if (!body) return send(res, 404, 'text/plain; charset=utf-8', `No report file ${m[2] || 'index.html'} for ${m[1]}.\n`);
        const html = file!.endsWith('.html');
        send(res, 200, html ? 'text/html; charset=utf-8' : 'text/csv; charset=utf-8', body, html ? { 'content-security-policy': REPORT_CSP } : {});
      },
    },
  ];
}

/** A token in the address, once: kept in a cookie, and taken out of the address bar. True when it answered. */
function tokenInAddress(url: URL, token: string | undefined, res: http.ServerResponse): boolean {
  const given = url.searchParams.get('token');
  if (given !== null && token && url.pathname.match(/^\/(?:index\.html)?$/)) {
    if (!tokenMatches(given, token)) {
      send(res, 401, 'text/plain; charset=utf-8', 'Wrong token.\n');
      return true;
    }
    url.searchParams.delete('token');
    const rest = url.searchParams.toString();
    send(res, 303, 'text/plain; charset=utf-8', 'ok\n', {
      location: `./${rest ? `?${rest}` : ''}${url.hash}`,
      'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(given)}; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000`,
    });
    return true;
  }
  return false;
}

class Busy extends Error {}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`gathering the dashboard took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** What the dashboard takes from the configuration; the database URLs only for their passwords, which it never shows. */
export function dashboardSettings(config: Config, databaseUrl?: string): Omit<DashboardOptions, 'pool' | 'temporal' | 'taskQueue'> {
  const passwords = [databaseUrl, ...Object.values(config.postgres.components ?? {})].map((url) => {
    try {
      return url ? decodeURIComponent(new URL(url).password) : '';
    } catch {
      return ''; // not a URL: nothing to hide
    }
  });
  return {
    namespace: config.temporal.namespace,
    uiUrl: config.temporal.uiUrl,
    artifactsDir: config.dbt.artifactsDir,
    reportsDir: config.reportsDir,
    dbtProjectDir: config.dbt.projectDir,
    projectRoot: config.projectRoot,
    token: config.dashboard.token,
    secrets: [...passwords, config.slack.token ?? '', config.temporal.apiKey ?? ''].filter((s) => s.length >= 4),
  };
}
