// The dashboard's pure parts: who counts as local, the token check, the window of dates, what
// is scrubbed from text, and the files it may read.
import { describe, expect, it } from 'vitest';
import { decideAccess, isLoopback, presentedToken, tokenMatches } from '../../src/dashboard/access';
import { dashboardWindow, scrub } from '../../src/dashboard/data';
import { inside, parseCsv, reportFile } from '../../src/dashboard/files';
import { chart, niceStep } from '../../src/dashboard/svg';

const req = (remoteAddress: string | undefined, headers: Record<string, string> = {}) => ({ socket: { remoteAddress }, headers }) as never;

describe('dashboard access', () => {
  it('knows loopback addresses, IPv4-mapped ones included, and nothing else', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopback(a), a).toBe(true);
    for (const a of ['192.0.2.2', '10.0.0.1', '::ffff:192.0.2.2', 'fd00::2', '', undefined, '127.0.0.1.example.com']) expect(isLoopback(a), String(a)).toBe(false);
  });

  it('decides: a token asks everyone for it; without one, only loopback', () => {
    expect(decideAccess(req('127.0.0.1'), undefined)).toEqual({ ok: true });
    expect(decideAccess(req('192.0.2.2'), undefined)).toMatchObject({ ok: false, status: 403 });
    // A header a client writes does not make it local.
    expect(decideAccess(req('192.0.2.2', { 'x-forwarded-for': '127.0.0.1' }), undefined)).toMatchObject({ ok: false, status: 403 });
    expect(decideAccess(req('127.0.0.1'), 'secret-token-1234567')).toMatchObject({ ok: false, status: 401 });
    expect(decideAccess(req('192.0.2.2', { authorization: 'Bearer secret-token-1234567' }), 'secret-token-1234567')).toEqual({ ok: true });
    expect(decideAccess(req('192.0.2.2', { cookie: 'a=b; roas_dashboard_token=secret-token-1234567' }), 'secret-token-1234567')).toEqual({ ok: true });
    expect(presentedToken(req('x', { authorization: 'Basic abc' }))).toBeUndefined();
    expect(tokenMatches('secret-token-1234567', 'secret-token-1234568')).toBe(false);
    expect(tokenMatches(undefined, 'secret-token-1234567')).toBe(false);
  });
});

describe('dashboard data helpers', () => {
  it('bounds the window: 1 to 90 days, a valid end date, yesterday by default', () => {
    const now = new Date('2026-11-29T10:00:00Z');
    expect(dashboardWindow({}, now)).toEqual({ start: '2026-10-30', end: '2026-11-28', days: 30 });
    expect(dashboardWindow({ end: '2026-02-10', days: 7 }, now)).toEqual({ start: '2026-02-04', end: '2026-02-10', days: 7 });
    expect(dashboardWindow({ days: 100_000 }, now).days).toBe(90);
    expect(dashboardWindow({ days: -3 }, now).days).toBe(1);
    expect(dashboardWindow({ days: Number.NaN }, now).days).toBe(30);
    expect(dashboardWindow({ end: "2026-01-01'; DROP TABLE x; --" }, now).end).toBe('2026-11-28');
  });

  it('scrubs passwords in URLs, Slack and bearer tokens, and the secrets it is given', () => {
    expect(scrub('could not connect to postgres://roas:hunter2@db:5432/marketing_roas')).toBe('could not connect to postgres://roas:***@db:5432/marketing_roas');
    expect(scrub('token xoxb-123-456-abc rejected')).toBe('token xox?-*** rejected');
    expect(scrub('Authorization: Bearer abc.def')).toBe('Authorization: Bearer ***');
    expect(scrub('the password is s3cr3t!', ['s3cr3t!'])).toBe('the password is ***');
  });

  it('reads only inside its folders: report files by name, nothing through ..', () => {
    expect(inside('/data/artifacts', '/data/artifacts/dbt_daily_run/2026-11-01/build/attempt-1')).toBe('/data/artifacts/dbt_daily_run/2026-11-01/build/attempt-1');
    expect(inside('/data/artifacts', '/data/artifacts/../secrets')).toBeUndefined();
    expect(inside('/data/artifacts', '/etc/passwd')).toBeUndefined();
    expect(reportFile('/data/reports', '2026-11-01', 'index.html')).toBe('/data/reports/2026-11-01/index.html');
    expect(reportFile('/data/reports', '2026-11-01', 'campaigns.csv')).toBe('/data/reports/2026-11-01/campaigns.csv');
    expect(reportFile('/data/reports', '2026-11-01', '../x.csv')).toBeUndefined();
    expect(reportFile('/data/reports', '../../etc', 'index.html')).toBeUndefined();
  });

  it('parses the report’s validation.csv, quotes and commas included', () => {
    expect(parseCsv('name,status,detail\nrow_count,pass,"12,000 events, ""fine"""\n')).toEqual([{ name: 'row_count', status: 'pass', detail: '12,000 events, "fine"' }]);
  });

  it('draws a chart with a mark per value, a tooltip each, and the SLA line', () => {
    const svg = chart({
      title: 't',
      dates: ['2026-11-01', '2026-11-02', '2026-11-03'],
      series: [{ name: 'dbt run', color: '#000', kind: 'bar', values: [5, null, 70] }],
      rules: [{ value: 60, label: 'SLA 60 min', color: 'red' }],
      yFormat: (v) => `${v} min`,
    });
    expect(svg.match(/<rect /g)).toHaveLength(2);
    expect(svg).toContain('<title>dbt run, 2026-11-03: 70 min</title>');
    expect(svg).toContain('SLA 60 min');
    expect(niceStep(73)).toBe(20);
  });
});
