// The report's charts as Vega-Lite specifications, rendered to SVG on the server by Vega, so the
// HTML report needs no script and no network to show them.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { ReportData } from './report-data';

export interface Chart {
  id: string;
  title: string;
  svg: string;
  /** What the chart cannot show by itself (e.g. campaigns left out of a tie), shown under it. */
  note?: string;
}

/** A ratio as the report shows it: 2.742810 → "2.74×". */
export function formatRoas(roas: number | null): string {
  return roas === null || roas === undefined ? '–' : `${roas.toFixed(2)}×`;
}
/** The same, in Vega's expression language, for axis labels. */
const ROAS_LABEL_EXPR = "format(datum.value, '.2f') + '×'";

const WIDTH = 480;
const HEIGHT = 260;

async function render(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function base(title: string) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH,
    height: HEIGHT,
    title,
    config: {
      font: 'Helvetica, Arial, sans-serif',
      view: { stroke: null },
      axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 170 },
      legend: { orient: 'bottom' as const },
    },
  };
}

export async function renderCharts(data: ReportData): Promise<Chart[]> {
  const specs: ChartSpec[] = [
    channelChart(data),
    {
      id: 'spend-revenue-by-hour',
      title: 'Spend and revenue by hour',
      spec: {
        ...base('Spend and revenue by hour (UTC, KRW)'),
        data: {
          values: data.hours.flatMap((h) => [
            { hour: h.hour, measure: 'spend', krw: Number(h.spend_krw) },
            { hour: h.hour, measure: 'revenue', krw: Number(h.revenue_krw) },
          ]),
        },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'hour', type: 'quantitative', scale: { domain: [0, 23] }, title: 'hour (UTC; KST = UTC+9)' },
          y: { field: 'krw', type: 'quantitative', title: 'KRW' },
          color: { field: 'measure', type: 'nominal', title: null },
        },
      },
    },
    topBottomChart(data),
    trendChart(data),
  ];
  return Promise.all(specs.map(async (s) => ({ id: s.id, title: s.title, svg: await render(s.spec), ...(s.note ? { note: s.note } : {}) })));
}

interface ChartSpec {
  id: string;
  title: string;
  spec: TopLevelSpec;
  note?: string;
}

export interface RankedCampaign {
  campaign: string;
  roas: number;
  spend: number;
  group: 'top 5' | 'bottom 5';
  /** The bar's label: "2.74×", or "0.00× no revenue". */
  label: string;
}

const byName = (a: { campaign: string }, b: { campaign: string }) => (a.campaign < b.campaign ? -1 : a.campaign > b.campaign ? 1 : 0);

/**
 * The 5 best and the 5 worst campaigns by ROAS among those that spent, in the order the chart
 * shows them: best first, worst last. Ties are broken by spend, largest first (among campaigns
 * with no revenue, the ones that cost the most matter most), then by name. When more campaigns
 * tie at the edge of a group than the group shows, the note says how many.
 */
export function topAndBottom(data: ReportData): { rows: RankedCampaign[]; notes: string[] } {
  const ranked = data.campaigns
    .filter((c) => Number(c.spend_krw) > 0 && c.roas !== null)
    .map((c) => ({ campaign: c.campaign_name || c.campaign_id, roas: c.roas!, spend: Number(c.spend_krw) }));
  const best = [...ranked].sort((a, b) => b.roas - a.roas || b.spend - a.spend || byName(a, b));
  const top = best.slice(0, 5);
  const rest = best.slice(top.length);
  const bottom = [...rest].sort((a, b) => a.roas - b.roas || b.spend - a.spend || byName(a, b)).slice(0, 5);
  const label = (roas: number) => (roas === 0 ? `${formatRoas(0)} no revenue` : formatRoas(roas));
  const notes: string[] = [];
  for (const [name, shown, pool] of [
    ['top 5', top, best],
    ['bottom 5', bottom, rest],
  ] as const) {
    const edge = shown[shown.length - 1];
    if (!edge) continue;
    const tied = ranked.filter((c) => c.roas === edge.roas).length;
    const tiedShown = shown.filter((c) => c.roas === edge.roas).length;
    if (pool.filter((c) => c.roas === edge.roas).length > tiedShown) {
      const who = edge.roas === 0 ? `${tied} campaigns with no revenue (ROAS ${formatRoas(0)})` : `${tied} campaigns tie at ROAS ${formatRoas(edge.roas)}`;
      notes.push(`${who}: the ${name} show the ${tiedShown} of them with the most spend.`);
    }
  }
  const rows: RankedCampaign[] = [
    ...top.map((c) => ({ ...c, group: 'top 5' as const, label: label(c.roas) })),
    // Worst at the bottom of the chart; within a tie, the largest spend first.
    ...[...bottom]
      .sort((a, b) => b.roas - a.roas || b.spend - a.spend || byName(a, b))
      .map((c) => ({ ...c, group: 'bottom 5' as const, label: label(c.roas) })),
  ];
  return { rows, notes };
}

function topBottomChart(data: ReportData): ChartSpec {
  const { rows, notes } = topAndBottom(data);
  const maxRoas = Math.max(0, ...rows.map((r) => r.roas));
  const y = { field: 'campaign', type: 'nominal' as const, sort: rows.map((r) => r.campaign), title: null };
  const x = {
    field: 'roas',
    type: 'quantitative' as const,
    title: 'ROAS',
    // Room on the right for the labels; a ROAS of 0 still gets its marker and label.
    scale: { domain: [0, maxRoas > 0 ? maxRoas * 1.3 : 1] },
    axis: { labelExpr: ROAS_LABEL_EXPR },
  };
  const color = { field: 'group', type: 'nominal' as const, title: null, scale: { domain: ['top 5', 'bottom 5'], range: ['#2a9d8f', '#e76f51'] } };
  return {
    id: 'top-bottom-campaigns',
    title: 'Top and bottom 5 campaigns by ROAS',
    note: notes.join(' ') || undefined,
    spec: {
      ...base('Top and bottom 5 campaigns by ROAS'),
      data: { values: rows },
      encoding: { y, x },
      layer: [
        { mark: { type: 'bar', tooltip: true }, encoding: { color } },
        // A bar of length 0 draws nothing: a tick at the bar's end shows every campaign, 0 included.
        { mark: { type: 'tick', thickness: 3, orient: 'vertical', opacity: 1, xOffset: 1.5 }, encoding: { color } },
        { mark: { type: 'text', align: 'left', dx: 5, fontSize: 11 }, encoding: { text: { field: 'label', type: 'nominal' } } },
      ],
    },
  };
}

function channelChart(data: ReportData): ChartSpec {
  // Best first; equal ROAS by spend, then name. A channel without revenue keeps a visible marker.
  const rows = data.channels
    .map((c) => ({ channel: c.channel, roas: c.roas ?? 0, spend: Number(c.spend_krw), label: c.roas === null ? 'no spend' : formatRoas(c.roas) }))
    .sort((a, b) => b.roas - a.roas || b.spend - a.spend || (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
  const x = { field: 'channel', type: 'nominal' as const, sort: rows.map((r) => r.channel), title: null };
  const y = { field: 'roas', type: 'quantitative' as const, title: 'ROAS', axis: { labelExpr: ROAS_LABEL_EXPR } };
  const color = { field: 'channel', type: 'nominal' as const, legend: null };
  return {
    id: 'roas-by-channel',
    title: 'ROAS by channel',
    spec: {
      ...base('ROAS by channel (revenue / spend)'),
      data: { values: rows },
      encoding: { x, y },
      layer: [
        { mark: { type: 'bar', tooltip: true }, encoding: { color } },
        { mark: { type: 'tick', thickness: 3, orient: 'horizontal', opacity: 1, yOffset: -1.5 }, encoding: { color } },
        { mark: { type: 'text', baseline: 'bottom', dy: -4, fontSize: 11 }, encoding: { text: { field: 'label', type: 'nominal' } } },
      ],
    },
  };
}

const DAY_MS = 86_400_000;

function trendChart(data: ReportData): ChartSpec {
  const end = Date.parse(`${data.runDate}T00:00:00Z`);
  // Every day of the window has its place on the time axis; a day not published is a gap in the
  // line, marked on the axis, never a neighbour moved up to close it.
  const days = data.trend.map((t) => ({
    date: t.metric_date,
    roas: t.published ? t.roas : null,
    published: t.published,
    label: t.published ? formatRoas(t.roas) : 'no data',
  }));
  const values = days.flatMap((d) => (d.roas === null ? [] : [d.roas]));
  const lo = values.length ? Math.min(...values) : 0;
  const hi = values.length ? Math.max(...values) : 1;
  const pad = Math.max((hi - lo) * 0.2, hi * 0.05, 0.05);
  const x = {
    field: 'date',
    type: 'temporal' as const,
    title: null,
    scale: { type: 'utc' as const, domain: [end - 6.5 * DAY_MS, end + 0.5 * DAY_MS] },
    axis: { format: '%d %b', labelOverlap: false, tickCount: { interval: 'day' as const, step: 1 }, grid: false },
  };
  const yScale = { domain: [Math.max(0, lo - pad), hi + pad] };
  return {
    id: 'roas-trend-7d',
    title: '7-day ROAS trend',
    spec: {
      ...base('ROAS over the last 7 days'),
      data: { values: days },
      layer: [
        {
          mark: { type: 'line', invalid: 'break-paths-filter-domains' },
          encoding: { x, y: { field: 'roas', type: 'quantitative', title: 'ROAS', scale: yScale, axis: { labelExpr: ROAS_LABEL_EXPR } } },
        },
        {
          transform: [{ filter: 'datum.published' }],
          mark: { type: 'point', filled: true, size: 50 },
          encoding: { x, y: { field: 'roas', type: 'quantitative', scale: yScale } },
        },
        {
          transform: [{ filter: 'datum.published' }],
          mark: { type: 'text', dy: -10, fontSize: 11 },
          encoding: { x, y: { field: 'roas', type: 'quantitative', scale: yScale }, text: { field: 'label', type: 'nominal' } },
        },
        {
          transform: [{ filter: '!datum.published' }],
          mark: { type: 'rule', strokeDash: [4, 4], color: '#bbb' },
          encoding: { x },
        },
        {
          transform: [{ filter: '!datum.published' }],
          mark: { type: 'text', fontSize: 11, color: '#888', baseline: 'bottom' },
          encoding: { x, y: { value: HEIGHT - 4 }, text: { field: 'label', type: 'nominal' } },
        },
      ],
    },
  };
}
