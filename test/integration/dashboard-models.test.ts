// The dashboard's model pages over real HTTP on a real PostgreSQL, read as the reporting role:
// a model's duration, cost, tests and freshness over the window; 404 for a model the record has
// never seen; 400 for a name dbt could not have (every hostile one) or a bad window; the same
// access rules as the rest of the dashboard (token, loopback), GET and HEAD only.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardSettings } from '../../src/dashboard/server';
import { urlForRole } from '../../src/platform/db/roles';
import { testConfig } from '../helpers/config';
import { outsideAddress, serveDashboard } from '../helpers/dashboard-server';
import { useTestDatabase } from '../helpers/db';
import { dailyRunNodes, recordPublish, recordRun } from '../helpers/model-record';

const TOKEN = 'model-pages-token-0123456789abcdef';
const NOW = new Date('2026-11-21T12:00:00Z');

const serve = serveDashboard;

describe('dashboard model pages', () => {
  const db = useTestDatabase(import.meta.url);
  let reporting: pg.Pool;
  let open: Awaited<ReturnType<typeof serve>>;
  let guarded: Awaited<ReturnType<typeof serve>>;
  const errors: Error[] = [];
  const page = (p: string, init?: RequestInit) => fetch(`http://127.0.0.1:${open.port}${p}`, init);

  beforeAll(async () => {
    // Three days of the daily run: a clean day, a day whose error test failed (nothing published,
    // the promise missed), and a day retried once whose warn test warned and that published late.
    const wf = (d: string) => `dbt-daily-run-${d}`;
    await recordRun(db.pool, { date: '2026-11-18', workflowId: wf('2026-11-18'), runId: 'a', attempts: [dailyRunNodes()] });
    await recordPublish(db.pool, { model: 'fct_daily_metrics', date: '2026-11-18', workflowId: wf('2026-11-18'), runId: 'a', hoursAfter: 0.5, promiseHours: 2 });
    await recordRun(db.pool, {
      date: '2026-11-19',
      workflowId: wf('2026-11-19'),
      runId: 'b',
      status: 'failed',
      attempts: [dailyRunNodes({ fct_daily_metrics: { status: 'error', message: 'relation "analytics_audit.int_hourly_agg" does not exist' }, fct_daily_metrics_one_row_per_campaign_day: { status: 'fail', failures: 41 } })],
    });
    await db.pool.query(
      "INSERT INTO orchestrator.freshness_misses (model, run_date, promise, kind, detail) VALUES ('fct_daily_metrics', '2026-11-19', 'within 2h of the end of the day', 'missing', 'not published 2 h after the end of the day')",
    );
    await recordRun(db.pool, {
      date: '2026-11-20',
      workflowId: wf('2026-11-20'),
      runId: 'c',
      attempts: [dailyRunNodes({ fct_daily_metrics: { exec_ms: 9000, duration_seconds: 12 } }), dailyRunNodes({ fct_daily_metrics_spend_spike: { status: 'warn', failures: 3 }, fct_daily_metrics: { duration_seconds: 7.25, exec_ms: 6400 } })],
    });
    await recordPublish(db.pool, { model: 'fct_daily_metrics', date: '2026-11-20', workflowId: wf('2026-11-20'), runId: 'c', hoursAfter: 3.25, promiseHours: 2 });
    // The page reads as the role the dashboard uses in production: what that role may read is part of what is tested.
    reporting = new pg.Pool({ connectionString: urlForRole(db.url, 'roas_reporting'), max: 4 });
    const base = { ...dashboardSettings(testConfig()), pool: reporting, taskQueue: 'test-model-pages', now: () => NOW, onError: (e: Error) => errors.push(e) };
    open = await serve({ ...base, token: undefined });
    guarded = await serve({ ...base, token: TOKEN });
  });
  afterAll(async () => {
    await open?.close();
    await guarded?.close();
    await reporting?.end();
  });

  it("a model's page: duration and cost per day, its tests with failing rows, its freshness against its promise", async () => {
    const r = await page('/models/fct_daily_metrics?end=2026-11-20&days=7');
    const html = await r.text();
    expect(r.status, html).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(html).toContain('model <code>fct_daily_metrics</code>');
    expect(html).toContain('2026-11-14 – 2026-11-20');
    for (const id of ['chart-duration', 'chart-cost', 'chart-freshness']) expect(html).toContain(`id="${id}"`);
    // The retried day: its last attempt's duration and cost, the warning with its failing rows, the late publish.
    expect(html).toMatch(/<tr data-day="2026-11-20"><td>2026-11-20<\/td><td class="state"><span class="ok">passed<\/span><\/td><td class="num">7\.25 s<\/td><td class="num">12<\/td><td class="num">6,400 ms<\/td>/);
    expect(html).toContain('title="fct_daily_metrics_spend_spike 2026-11-20: warned, 3 failing rows">3</td>');
    expect(html).toMatch(/<tr data-day="2026-11-20">.*<td class="num">3\.3 h<\/td><td>2\.0 h<\/td><td><b class="bad">missed<\/b><\/td><\/tr>/);
    // The failed day: the error, the failed test's failing rows, the promise missed without a publish.
    expect(html).toMatch(/<tr data-day="2026-11-19"><td>2026-11-19<\/td><td class="state"><span class="bad">failed<\/span> <span class="muted" title="relation &quot;analytics_audit.int_hourly_agg&quot; does not exist">/);
    expect(html).toContain('title="fct_daily_metrics_one_row_per_campaign_day 2026-11-19: failed, 41 failing rows">41</td>');
    expect(html).toContain('<td colspan="3" class="bad miss">not published 2 h after the end of the day</td><td><b class="bad">missing</b></td>');
    expect(html).toMatch(/<tr data-day="2026-11-18">.*<td class="num">0\.5 h<\/td><td>2\.0 h<\/td><td><span class="ok">met<\/span>/);
    // A day it did not run.
    expect(html).toMatch(/<tr data-day="2026-11-17"><td>2026-11-17<\/td><td class="state"><span class="muted">not run<\/span>/);
    // What it reads and who reads it, linked to their pages.
    expect(html).toContain('<a href="campaigns"><code>campaigns</code></a>, <a href="int_hourly_agg"><code>int_hourly_agg</code></a>');
    expect(html).toContain('<code>analytics_audit.fct_daily_metrics</code>');
    const source = await page('/models/stg_ad_events?end=2026-11-20&days=7');
    expect(await source.text()).toContain('<code>realtime.ad_events</code>, <a href="fx_rates"><code>fx_rates</code></a>');
    const head = await page('/models/fct_daily_metrics', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(errors).toEqual([]);
  });

  it('a name the record has never seen: 404; a name dbt could not have, or a bad window: 400, nothing of the input echoed', async () => {
    const unknown = await page('/models/no_such_model');
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('No model or seed named no_such_model');
    const hostile = ['%3Cscript%3Ealert(1)%3C%2Fscript%3E', '..%2F..%2Fetc%2Fpasswd', "x'%20OR%201%3D1--", 'a%00b', '%E0%A4%A', `${'a'.repeat(200)}`, '1abc', 'stg-ad-events', 'fct_daily_metrics%0A', ''];
    for (const name of hostile) {
      const r = await page(`/models/${name}`);
      const text = await r.text();
      expect(r.status, name).toBe(400);
      expect(text).toContain('Not a dbt model name');
      expect(text).not.toMatch(/script|passwd|OR 1/);
    }
    expect((await page('/models/fct_daily_metrics/../../etc')).status).toBe(404); // not a model route: the caller's 404
    for (const q of ['?days=1000', '?days=abc', '?end=2026-02-30', '?end=3000-01-01']) {
      const r = await page(`/models/fct_daily_metrics${q}`);
      expect(r.status, q).toBe(400);
    }
    const post = await page('/models/fct_daily_metrics', { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(errors).toEqual([]);
  });

  it('the same access rules: a token asks everyone for it; without one, only loopback', async () => {
    const url = `http://127.0.0.1:${guarded.port}/models/fct_daily_metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    // The 401 comes before the name is looked at: a hostile name is refused the same way.
    expect((await fetch(`http://127.0.0.1:${guarded.port}/models/%3Cscript%3E`)).status).toBe(401);
    const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).not.toContain(TOKEN);
    const cookie = await fetch(url, { headers: { cookie: `roas_dashboard_token=${TOKEN}` } });
    expect(cookie.status).toBe(200);
    const outside = outsideAddress();
    expect(outside, 'this machine has no non-loopback IPv4 address to test from').toBeDefined();
    const refused = await fetch(`http://${outside}:${open.port}/models/fct_daily_metrics`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('ROAS_DASHBOARD_TOKEN');
  });
});
