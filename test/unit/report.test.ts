// The daily report's writers on their own: the CSV writer (validation.csv) and the HTML page,
// fed a campaign whose name has commas, quotes, a line break, markup and Hangul.
import { describe, expect, it } from 'vitest';
import { renderCharts } from '../../activities/etl/charts';
import type { ReportData } from '../../activities/etl/report-data';
import { krw, renderHtml, slackSummary, toCsv } from '../../activities/etl/report';
import type { ValidationCheck } from '../../src/core/types';

const AWKWARD = 'Spring "Sale", 봄 세일\n<b>2026</b> & more';
const AWKWARD_HTML = 'Spring &quot;Sale&quot;, 봄 세일\n&lt;b&gt;2026&lt;/b&gt; &amp; more';

/** Parses CSV as RFC 4180 reads it: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      rows.push([...row, field]);
      row = [];
      field = '';
    } else field += c;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

const checks: ValidationCheck[] = [
  { name: 'row_count', status: 'pass', value: 30000, threshold: '0.3x-3x of median', detail: '30,000 events' },
  { name: 'late_events', status: 'warn', value: 12, threshold: '> 0 warns', detail: '12 events of "cmp_001, 봄" ingested <late>' },
];

function reportData(): ReportData {
  const campaign = (id: string, name: string, roas: number | null, spend: string) => ({
    campaign_id: id,
    campaign_name: name,
    channel: 'naver',
    impressions: 1000,
    clicks: 50,
    conversions: 5,
    spend_krw: spend,
    revenue_krw: '2000.5',
    ctr: 0.05,
    cvr: 0.1,
    cpc_krw: '20',
    cpa_krw: '200',
    roas,
  });
  return {
    runDate: '2026-11-26',
    totals: {
      campaigns: 2,
      impressions: 2000,
      clicks: 100,
      conversions: 10,
      spend_krw: '1234567.5',
      revenue_krw: '2469135.49',
      roas: 2,
      ctr: 0.05,
      cvr: 0.1,
      window_start: '2026-11-20',
      window_days_published: 5,
      window_missing_days: '2026-11-21, 2026-11-23',
      spend_krw_7d: '7000000',
      revenue_krw_7d: '12600000',
      roas_7d: 1.8,
      roas_change_pct: 11.1,
    },
    channels: [{ channel: 'naver', campaigns: 2, impressions: 2000, clicks: 100, conversions: 10, spend_krw: '1234567.5', revenue_krw: '2469135.49', roas: 2, share_of_spend: 1 }],
    hours: [{ hour: 12, spend_krw: '1234567.5', revenue_krw: '2469135.49' }],
    campaigns: [campaign('cmp_001', AWKWARD, 2.5, '1000'), campaign('cmp_002', 'Plain', null, '0')],
    trend: [{ metric_date: '2026-11-26', published: true, spend_krw: '1234567.5', revenue_krw: '2469135.49', roas: 2 }],
    campaignTrend: [],
    csv: { 'daily_totals.csv': 'report_date\n2026-11-26\n', 'campaigns.csv': 'campaign_id\ncmp_001\n' },
  };
}

describe('toCsv', () => {
  it('writes a header and one line per row, in the columns asked for', () => {
    expect(toCsv([{ b: 2, a: 1, c: 'x' }], ['a', 'b'])).toBe('a,b\n1,2\n');
    expect(toCsv([{ a: null, b: undefined, c: true, d: { k: 1 } }])).toBe('a,b,c,d\n,,true,"{""k"":1}"\n');
    expect(toCsv([], ['name', 'status'])).toBe('name,status\n');
    // A bare carriage return is a line break to a spreadsheet: quoted too.
    expect(toCsv([{ a: 'one\rtwo' }])).toBe('a\n"one\rtwo"\n');
  });

  it('a name with commas, quotes, a line break and Hangul reads back exactly', () => {
    const csv = toCsv([{ campaign_name: AWKWARD, roas: 2.5 }, { campaign_name: 'Plain', roas: null }]);
    expect(parseCsv(csv)).toEqual([
      ['campaign_name', 'roas'],
      [AWKWARD, '2.5'],
      ['Plain', ''],
    ]);
  });

  it('validation.csv: each check on its own line, its detail intact', () => {
    const rows = parseCsv(toCsv(checks as unknown as Record<string, unknown>[], ['name', 'status', 'value', 'threshold', 'detail']));
    expect(rows).toHaveLength(3);
    expect(rows[2]).toEqual(['late_events', 'warn', '12', '> 0 warns', '12 events of "cmp_001, 봄" ingested <late>']);
  });
});

describe('krw', () => {
  it.each([
    ['1234567.5', '₩1,234,568'],
    ['1234567.49', '₩1,234,567'],
    ['-0.5', '-₩1'],
    ['-0.4', '₩0'],
    ['0', '₩0'],
    ['99999999999999999999.5', '₩100,000,000,000,000,000,000'],
    ['n/a', 'n/a'],
  ])('%s → %s (half away from zero, exact beyond 2^53)', (amount, text) => {
    expect(krw(amount)).toBe(text);
  });
});

describe('renderHtml', () => {
  it('escapes what the data says, in the table, the charts and the notes; keeps Hangul', async () => {
    const data = reportData();
    const html = renderHtml(data, await renderCharts(data), checks, '2026-11-27T06:00:00.000Z');
    expect(html).not.toContain('<b>2026</b>');
    expect(html).not.toContain('<late>');
    expect(html).toContain(`<td>${AWKWARD_HTML}</td>`);
    // The top and bottom campaigns chart names it too, escaped by the SVG renderer.
    const chart = /<figure id="chart-top-bottom-campaigns"[^>]*>([\s\S]*?)<\/figure>/.exec(html)?.[1] ?? '';
    expect(chart).toContain('봄 세일');
    expect(chart).not.toContain('<b>');
    expect(html).toContain('<li class="warn">late_events: 12 events of &quot;cmp_001, 봄&quot; ingested &lt;late&gt;</li>');
    expect(html).not.toContain('row_count: 30,000 events');
  });

  it('shows the totals, the change against the 7-day ROAS, the missing days and every campaign', async () => {
    const data = reportData();
    const html = renderHtml(data, await renderCharts(data), [], 'now');
    expect(html).toContain('<div class="value" id="kpi-spend">₩1,234,568</div>');
    expect(html).toContain('<div class="value" id="kpi-revenue">₩2,469,135</div>');
    expect(html).toContain('<div class="value" id="kpi-roas">2.00</div>');
    expect(html).toContain('<div class="value up">▲ 11.1 %</div>');
    expect(html).toContain('The 7-day window lacks 2026-11-21, 2026-11-23');
    const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)![1]!;
    expect(body.match(/<tr>/g)).toHaveLength(2);
    expect(body).toContain('<td>Plain</td><td>naver</td><td>₩0</td><td>₩2,001</td><td>–</td><td>5.00 %</td><td>10.00 %</td>');
    expect(html).toContain('CSV files next to this page, with every digit as the database holds it: daily_totals.csv, campaigns.csv.');
    expect(html).not.toContain('Data quality notes');
    for (const id of ['roas-by-channel', 'spend-revenue-by-hour', 'top-bottom-campaigns', 'roas-trend-7d']) expect(html).toContain(`id="chart-${id}"`);
  });

  it('a day without 7-day history says so rather than a change', () => {
    const data = reportData();
    data.totals = { ...data.totals, roas_7d: null, roas_change_pct: null, window_missing_days: null };
    const html = renderHtml(data, [], [], 'now');
    expect(html).toContain('vs 7-day ROAS –</div><div class="value ">–</div>');
    expect(html).not.toContain('window-note');
  });
});

describe('slackSummary', () => {
  it('gives the totals, the change, the missing days, the warnings and the report path', () => {
    const { title, lines } = slackSummary(
      {
        runDate: '2026-11-26',
        dir: '/r/2026-11-26',
        htmlPath: '/r/2026-11-26/index.html',
        files: [],
        spendKrw: '1234567.5',
        revenueKrw: '2469135.49',
        roas: 2,
        roas7d: 2.5,
        roasChangePct: -20,
        windowMissingDays: ['2026-11-21'],
        campaigns: 50,
      },
      checks,
    );
    expect(title).toBe('Daily ROAS report 2026-11-26: ROAS 2.00');
    expect(lines).toEqual([
      'Spend ₩1,234,568 · Revenue ₩2,469,135 · ROAS 2.00 · 50 campaigns',
      '▼ 20.0 % against the 7-day ROAS of 2.50',
      'The 7-day window lacks 2026-11-21 (not published: the run failed its tests or has not run).',
      'Data quality notes: late_events',
      'Report: /r/2026-11-26/index.html',
    ]);
  });
});
