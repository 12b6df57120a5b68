// The dashboard's model pages: /models/<name>, one per dbt model or seed the per-model record
// has seen. The name is held to dbt's naming pattern before anything is read (400 otherwise); a
// name the record has never seen answers 404. The window of days is the dashboard's (?end=,
// ?days=, at most 90); the record is read in one READ ONLY transaction with a statement timeout;
// at most a few pages are gathered at once (429 beyond), each within a deadline (503 beyond).
// Access (token, loopback) and the GET/HEAD rule are the server's, checked before a route runs.
import type http from 'node:http';
import { dashboardWindow, parseWindowQuery } from './data';
import { renderModelPage } from './model-page';
import { queryModelHistory } from './sections/model';
import type { DashboardSources } from './types';
import { readOnly, withTimeout } from './util';

/** dbt's names of models and seeds: a letter or underscore, then letters, digits and underscores. */
export const MODEL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,126}$/;

const MAX_AT_ONCE = 3;
const DEADLINE_MS = 20_000;
const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

type Send = (res: http.ServerResponse, status: number, type: string, body: string, headers?: Record<string, string>) => void;

export interface Route {
  match: RegExp;
  serve: (req: http.IncomingMessage, res: http.ServerResponse, url: URL, m: RegExpExecArray) => Promise<void> | void;
}

/** A model's name from the address, or undefined when it is not one dbt could have. */
export function modelNameOf(segment: string): string | undefined {
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  return MODEL_NAME.test(name) ? name : undefined;
}

export function modelRoutes(sources: DashboardSources, send: Send): Route[] {
  let gathering = 0;
  const text = 'text/plain; charset=utf-8';
  return [
    {
      match: /^\/models\/([^/]*)$/,
      serve: async (_req, res, url, m) => {
        const name = modelNameOf(m[1]!);
        if (!name) return send(res, 400, text, 'Not a dbt model name: a model page is models/<name>, the name made of letters, digits and underscores (as in the dbt project).\n');
        const now = sources.now?.() ?? new Date();
        const win = dashboardWindow(parseWindowQuery(url.searchParams, now), now);
        if (gathering >= MAX_AT_ONCE) return send(res, 429, text, 'The dashboard is busy with other requests: try again in a few seconds.\n', { 'retry-after': '5' });
        gathering++;
        try {
          const history = await withTimeout(readOnly(sources.pool, (c) => queryModelHistory(c, name, win, now)), DEADLINE_MS, `reading the record of model ${name}`);
          if (!history) return send(res, 404, text, `No model or seed named ${name} in the per-model record: it has not run since the record began. Check the name against the dbt project's models and seeds; roas lineage --date <a day> lists those of a day.\n`);
          send(res, 200, 'text/html; charset=utf-8', renderModelPage(history), { 'content-security-policy': CSP });
        } finally {
          gathering--;
        }
      },
    },
  ];
}
