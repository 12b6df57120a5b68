// The daily report's charts where a first reader stumbled: the bottom campaigns when many have no
// revenue (ROAS 0, tied), the 7-day trend with days missing, and a day with no data at all.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatRoas, renderCharts, topAndBottom } from '../../activities/etl/charts';
import type { CampaignRow, ReportData } from '../../activities/etl/report-data';
import { renderHtml, writeReport } from '../../activities/etl/report';
import { REPORT_NO_DATA } from '../../src/core/failure-types';

function campaign(id: number, roas: number | null, spend: number, name = `Campaign ${id}`): CampaignRow {
  return {
    campaign_id: `cmp_${String(id).padStart(3, '0')}`,
    campaign_name: name,
    channel: 'naver',
    impressions: 1000,
    clicks: 50,
    conversions: roas ? 5 : 0,
    spend_krw: String(spend),
    revenue_krw: String(spend * (roas ?? 0)),
    ctr: 0.05,
    cvr: roas ? 0.1 : 0,
    cpc_krw: '20',
    cpa_krw: roas ? '200' : null,
    roas,
  };
}

const WEEK = ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26'];

function reportData(campaigns: CampaignRow[], trend: Record<string, number | null> = { '2026-11-26': 2.74281 }): ReportData {
  return {
    runDate: '2026-11-26',
    totals: {
      campaigns: campaigns.length,
      impressions: 1000 * campaigns.length,
      clicks: 50 * campaigns.length,
      conversions: 5,
      spend_krw: '1000000',
      revenue_krw: '2742810',
      roas: 2.74281,
      ctr: 0.05,
      cvr: 0.1,
      window_start: '2026-11-20',
      window_days_published: Object.values(trend).filter((r) => r !== null).length,
      window_missing_days: null,
      spend_krw_7d: '7000000',
      revenue_krw_7d: '18000000',
      roas_7d: 2.57,
      roas_change_pct: 6.7,
    },
    channels: [{ channel: 'naver', campaigns: campaigns.length, impressions: 1000, clicks: 50, conversions: 5, spend_krw: '1000000', revenue_krw: '2742810', roas: 2.74281, share_of_spend: 1 }],
    hours: [{ hour: 12, spend_krw: '1000000', revenue_krw: '2742810' }],
    campaigns,
    trend: WEEK.map((d) => {
      const roas = trend[d] ?? null;
      return { metric_date: d, published: roas !== null, spend_krw: roas === null ? null : '1000000', revenue_krw: roas === null ? null : String(roas * 1e6), roas };
    }),
    campaignTrend: [],
    csv: { 'daily_totals.csv': 'report_date\n2026-11-26\n' },
  };
}

/** 5 good campaigns, one middling, and 13 that spent without revenue (ROAS 0), the 13 spending 1,000…13,000. */
const thirteenWithoutRevenue = () => [
  ...[4.1, 3.2, 2.9, 2.7, 2.5].map((r, i) => campaign(i + 1, r, 100_000)),
  campaign(6, 1.2, 5_000),
  ...Array.from({ length: 13 }, (_, i) => campaign(10 + i, 0, 1_000 * (i + 1))),
  campaign(40, null, 0), // no spend: no ROAS, not ranked
];

/** The chart's SVG of one id. */
async function chartSvg(data: ReportData, id: string): Promise<string> {
  return (await renderCharts(data)).find((c) => c.id === id)!.svg;
}

/** Vega's SVG: the marks of one layer, with their aria labels and geometry. */
function layerMarks(svg: string, layer: number): { label: string; d: string; transform: string }[] {
  const group = new RegExp(`<g class="mark-[a-z]+ role-mark layer_${layer}_marks"[^>]*>([\\s\\S]*?)</g>`).exec(svg)?.[1] ?? '';
  return [...group.matchAll(/<(?:path|text|line)([^>]*)>/g)].map((m) => ({
    label: /aria-label="([^"]*)"/.exec(m[1]!)?.[1] ?? '',
    d: /\sd="([^"]*)"/.exec(m[1]!)?.[1] ?? '',
    transform: /transform="translate\(([^)]*)\)"/.exec(m[1]!)?.[1] ?? '',
  }));
}
const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

describe('top and bottom 5 campaigns', () => {
  it('13 campaigns tie at ROAS 0: the 5 that spent the most are shown, and the note says 13 have no revenue', () => {
    const { rows, notes } = topAndBottom(reportData(thirteenWithoutRevenue()));
    expect(rows.map((r) => `${r.group}:${r.campaign}:${r.label}`)).toEqual([
      'top 5:Campaign 1:4.10×',
      'top 5:Campaign 2:3.20×',
      'top 5:Campaign 3:2.90×',
      'top 5:Campaign 4:2.70×',
      'top 5:Campaign 5:2.50×',
      'bottom 5:Campaign 22:0.00× no revenue',
      'bottom 5:Campaign 21:0.00× no revenue',
      'bottom 5:Campaign 20:0.00× no revenue',
      'bottom 5:Campaign 19:0.00× no revenue',
      'bottom 5:Campaign 18:0.00× no revenue',
    ]);
    expect(notes).toEqual(['13 campaigns with no revenue (ROAS 0.00×): the bottom 5 show the 5 of them with the most spend.']);
  });

  it('ties are broken by spend, then by name, whatever order the rows came in', () => {
    const tied = [campaign(1, 1.5, 10), campaign(2, 1.5, 30, 'Bravo'), campaign(3, 1.5, 30, 'Alpha'), campaign(4, 1.5, 20)];
    const forward = topAndBottom(reportData(tied)).rows.map((r) => r.campaign);
    expect(forward).toEqual(['Alpha', 'Bravo', 'Campaign 4', 'Campaign 1']);
    expect(topAndBottom(reportData([...tied].reverse())).rows.map((r) => r.campaign)).toEqual(forward);
    // Four campaigns fit in the top 5: nothing is left out, nothing to say.
    expect(topAndBottom(reportData(tied)).notes).toEqual([]);
  });

  it('a tie at another ROAS is named with that ROAS; a tie that fits says nothing', () => {
    const many = [...[5, 4, 3, 2, 1.5].map((r, i) => campaign(i + 1, r, 100)), ...Array.from({ length: 7 }, (_, i) => campaign(20 + i, 0.5, 100 + i))];
    expect(topAndBottom(reportData(many)).notes).toEqual(['7 campaigns tie at ROAS 0.50×: the bottom 5 show the 5 of them with the most spend.']);
    const few = [...[5, 4, 3, 2, 1.5].map((r, i) => campaign(i + 1, r, 100)), campaign(7, 0, 10), campaign(8, 0, 20), campaign(9, 0.4, 30)];
    expect(topAndBottom(reportData(few)).notes).toEqual([]);
  });

  it('in the chart, every campaign of ROAS 0 has a visible marker and its label; the note is under the chart', async () => {
    const data = reportData(thirteenWithoutRevenue());
    const svg = await chartSvg(data, 'top-bottom-campaigns');
    // Layer 1: a tick per campaign, 3 px wide, at the bar's end (x = 0 for no revenue).
    const ticks = layerMarks(svg, 1);
    expect(ticks).toHaveLength(10);
    for (const t of ticks) expect(t.d, t.label).toMatch(/^M[\d.]+,[\d.]+h3v[\d.]+h-3Z$/);
    expect(ticks.filter((t) => t.d.startsWith('M0,'))).toHaveLength(5);
    expect(texts(svg).filter((t) => t === '0.00× no revenue')).toHaveLength(5);
    expect(texts(svg)).toContain('4.10×');
    const html = renderHtml(data, await renderCharts(data), [], 'now');
    expect(html).toMatch(
      /<figure id="chart-top-bottom-campaigns"[^>]*><svg[\s\S]*?<\/svg><figcaption class="note">13 campaigns with no revenue \(ROAS 0\.00×\): the bottom 5 show the 5 of them with the most spend\.<\/figcaption><\/figure>/,
    );
  });
});

describe('ROAS by channel', () => {
  it('a channel without revenue keeps a visible marker and its value; one without spend says so', async () => {
    const data = reportData([campaign(1, 2, 100)]);
    const channel = (name: string, roas: number | null, spend: string) => ({ ...data.channels[0]!, channel: name, roas, spend_krw: spend });
    data.channels = [channel('meta', 0, '50'), channel('naver', 2.74281, '100'), channel('kakao', null, '0')];
    const svg = await chartSvg(data, 'roas-by-channel');
    const ticks = layerMarks(svg, 1);
    expect(ticks.map((t) => /channel: (\w+)/.exec(t.label)![1])).toEqual(['naver', 'meta', 'kakao']);
    for (const t of ticks) expect(t.d, t.label).toMatch(/^M[\d.]+,[-\d.]+h[\d.]+v3h-[\d.]+Z$/);
    expect(texts(svg)).toEqual(expect.arrayContaining(['2.74×', '0.00×', 'no spend']));
  });
});

describe('7-day ROAS trend', () => {
  const trend = { '2026-11-20': 2.61, '2026-11-22': 2.74281, '2026-11-24': 2.8, '2026-11-25': 2.55, '2026-11-26': 2.74281 };

  it('puts each day at its date: a missing day leaves its place empty and is marked "no data"', async () => {
    const svg = await chartSvg(reportData([campaign(1, 2, 100)], trend), 'roas-trend-7d');
    const points = layerMarks(svg, 1).map((p) => ({ date: /date: ([^;]*)/.exec(p.label)![1], x: Number(p.transform.split(',')[0]) }));
    expect(points.map((p) => p.date)).toEqual(['20 Nov', '22 Nov', '24 Nov', '25 Nov', '26 Nov']);
    const day = points[4]!.x - points[3]!.x;
    expect(day).toBeGreaterThan(30);
    // 20 → 22 and 22 → 24 are two days apart, so twice as wide as 24 → 25.
    expect(points[1]!.x - points[0]!.x).toBeCloseTo(2 * day, 3);
    expect(points[2]!.x - points[1]!.x).toBeCloseTo(2 * day, 3);
    // The line breaks at the missing days: three pieces (20 alone, 22 alone, 24–26).
    const line = layerMarks(svg, 0)[0]!.d;
    expect(line.match(/M/g)).toHaveLength(3);
    expect(line.match(/L/g)).toHaveLength(2);
    // The missing days: a dashed rule at their place and "no data".
    expect(layerMarks(svg, 3)).toHaveLength(2);
    expect(texts(svg).filter((t) => t === 'no data')).toHaveLength(2);
    // The axis names every day of the window, on the time axis, in UTC.
    for (const d of ['20 Nov', '21 Nov', '22 Nov', '23 Nov', '24 Nov', '25 Nov', '26 Nov']) expect(texts(svg)).toContain(d);
  });

  it('ratios read as ratios: 2.74×, never 2.742810', async () => {
    const svg = await chartSvg(reportData([campaign(1, 2, 100)], trend), 'roas-trend-7d');
    expect(texts(svg)).toContain('2.74×');
    expect(texts(svg)).toContain('2.80×');
    const numeric = texts(svg).filter((t) => /^\d+\.\d+/.test(t));
    expect(numeric.length).toBeGreaterThan(4);
    for (const t of numeric) expect(t).toMatch(/^\d+\.\d\d×$/);
    // One published day alone still gets a readable axis.
    const one = texts(await chartSvg(reportData([campaign(1, 2, 100)], { '2026-11-26': 2.74281 }), 'roas-trend-7d'));
    expect(one).toContain('2.74×');
    expect(one.filter((t) => t === 'no data')).toHaveLength(6);
    for (const t of one.filter((x) => /^\d+\.\d+/.test(x))) expect(t).toMatch(/^\d+\.\d\d×$/);
  });

  it('formatRoas', () => {
    expect(formatRoas(2.74281)).toBe('2.74×');
    expect(formatRoas(0)).toBe('0.00×');
    expect(formatRoas(null)).toBe('–');
  });
});

describe('a day with no data', () => {
  it('is refused, not written: a non-retryable failure naming the date and what to do; an earlier report stays', async () => {
    const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'roas-report-empty-'));
    const earlier = path.join(reportsDir, '2026-11-26');
    mkdirSync(earlier);
    writeFileSync(path.join(earlier, 'index.html'), 'the earlier report');
    const empty = reportData([], {});
    empty.totals = { ...empty.totals, campaigns: 0, impressions: 0, clicks: 0, conversions: 0, spend_krw: '0', revenue_krw: '0', roas: null };
    const refused = await writeReport(reportsDir, empty, [], 'now').then(
      () => null,
      (e: unknown) => e as { name: string; type: string; nonRetryable: boolean; message: string },
    );
    expect(refused).toMatchObject({ name: 'ApplicationFailure', type: REPORT_NO_DATA, nonRetryable: true });
    expect(refused!.message).toMatch(/^No data for 2026-11-26: /);
    expect(refused!.message).toContain('roas status --date 2026-11-26');
    expect(refused!.message).toContain('roas run etl --date 2026-11-26 --force');
    expect(readFileSync(path.join(earlier, 'index.html'), 'utf8')).toBe('the earlier report');
    expect(existsSync(path.join(reportsDir, '2026-11-27'))).toBe(false);
  });

  it('a day with campaigns is written', async () => {
    const reportsDir = mkdtempSync(path.join(os.tmpdir(), 'roas-report-day-'));
    const summary = await writeReport(reportsDir, reportData(thirteenWithoutRevenue()), [], 'now');
    expect(readFileSync(summary.htmlPath, 'utf8')).toContain('13 campaigns with no revenue');
  });
});
