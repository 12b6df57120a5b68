// Who may read the dashboard, over real HTTP: with ROAS_DASHBOARD_TOKEN set, every client must
// send it (401 without, 200 with; a visit to /?token=… keeps it in a cookie); without a token,
// a client that is not on the machine is refused with 403 and told to set one. The server
// listens on all interfaces and is reached through this machine's non-loopback address, as a
// colleague's browser would reach a worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardSettings } from '../../src/dashboard/server';
import { testConfig } from '../helpers/config';
import { outsideAddress, serveDashboard } from '../helpers/dashboard-server';
import { useTestDatabase } from '../helpers/db';

const TOKEN = 'dashboard-token-0123456789abcdef';

const serve = serveDashboard;

describe('dashboard access', () => {
  const db = useTestDatabase(import.meta.url);
  let open: Awaited<ReturnType<typeof serve>>;
  let guarded: Awaited<ReturnType<typeof serve>>;
  const outside = outsideAddress();

  beforeAll(async () => {
    const config = testConfig();
    const base = { ...dashboardSettings(config), pool: db.pool, taskQueue: 'test-dashboard-access' };
    open = await serve({ ...base, token: undefined });
    guarded = await serve({ ...base, token: TOKEN });
  });
  afterAll(async () => {
    await open?.close();
    await guarded?.close();
  });

  it('without a token: loopback clients are served, others refused with 403 saying to set ROAS_DASHBOARD_TOKEN', async () => {
    expect((await fetch(`http://127.0.0.1:${open.port}/api/dashboard`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${open.port}/`)).status).toBe(200);
    expect(outside, 'this machine has no non-loopback IPv4 address to test from').toBeDefined();
    for (const p of ['/', '/api/dashboard', '/dashboard.js', '/logs/dbt_daily_run/2026-11-01', '/reports/2026-11-01/']) {
      const refused = await fetch(`http://${outside}:${open.port}${p}`);
      expect(refused.status, p).toBe(403);
      const text = await refused.text();
      expect(text).toContain('ROAS_DASHBOARD_TOKEN');
      expect(text).toContain(outside);
    }
  });

  it('with a token: 401 without it or with a wrong one, 200 with it, from anywhere', async () => {
    for (const host of ['127.0.0.1', outside!]) {
      const url = `http://${host}:${guarded.port}/api/dashboard`;
      const none = await fetch(url);
      expect(none.status, host).toBe(401);
      expect(none.headers.get('www-authenticate')).toContain('Bearer');
      expect(await none.text()).toContain('ROAS_DASHBOARD_TOKEN');
      expect((await fetch(url, { headers: { authorization: 'Bearer not-the-token-at-all' } })).status).toBe(401);
      const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status, host).toBe(200);
      const body = await ok.text();
      expect(body).not.toContain(TOKEN);
      expect(body).not.toMatch(/postgres(ql)?:\/\//);
    }
  });

  it('/?token=… once: the page keeps it in an HttpOnly cookie and drops it from the address', async () => {
    const first = await fetch(`http://${outside}:${guarded.port}/?token=${TOKEN}&days=7`, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('./?days=7');
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^roas_dashboard_token=[^;]+; Path=\/; HttpOnly; SameSite=Strict/);
    const jar = cookie.split(';')[0]!;
    const page = await fetch(`http://${outside}:${guarded.port}/?days=7`, { headers: { cookie: jar } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<script src="dashboard.js"');
    expect(html).not.toContain(TOKEN);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect((await fetch(`http://${outside}:${guarded.port}/api/dashboard?days=7`, { headers: { cookie: jar } })).status).toBe(200);
    expect((await fetch(`http://${outside}:${guarded.port}/?token=wrong-token-0000000000`, { redirect: 'manual' })).status).toBe(401);
  });

  it('only reads: anything but GET and HEAD is refused', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      expect((await fetch(`http://127.0.0.1:${open.port}/api/dashboard`, { method })).status, method).toBe(405);
    }
    expect((await fetch(`http://127.0.0.1:${open.port}/`, { method: 'HEAD' })).status).toBe(200);
  });
});
