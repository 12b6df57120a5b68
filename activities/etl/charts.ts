// The report's charts as Vega-Lite specifications, rendered to SVG on the server by Vega, so the
// HTML report needs no script and no network to show them.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { ReportData } from './report-data';

export interface Chart {
  id: string;
  title: string;
  svg: string;
}

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
  const specs: { id: string; title: string; spec: TopLevelSpec }[] = [
    {
      id: 'roas-by-channel',
      title: 'ROAS by channel',
      spec: {
        ...base('ROAS by channel (revenue / spend)'),
        data: { values: data.channels.map((c) => ({ channel: c.channel, roas: c.roas ?? 0, spend: Number(c.spend_krw) })) },
        mark: { type: 'bar', tooltip: true },
        encoding: {
          x: { field: 'channel', type: 'nominal', sort: '-y', title: null },
          y: { field: 'roas', type: 'quantitative', title: 'ROAS' },
          color: { field: 'channel', type: 'nominal', legend: null },
        },
      },
    },
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
    {
      id: 'top-bottom-campaigns',
      title: 'Top and bottom 5 campaigns by ROAS',
      spec: {
        ...base('Top and bottom 5 campaigns by ROAS'),
        data: { values: topAndBottom(data) },
        mark: { type: 'bar', tooltip: true },
        encoding: {
          y: { field: 'campaign', type: 'nominal', sort: '-x', title: null },
          x: { field: 'roas', type: 'quantitative', title: 'ROAS' },
          color: { field: 'group', type: 'nominal', title: null, scale: { domain: ['top 5', 'bottom 5'], range: ['#2a9d8f', '#e76f51'] } },
        },
      },
    },
    {
      id: 'roas-trend-7d',
      title: '7-day ROAS trend',
      spec: {
        ...base('ROAS over the last 7 days'),
        data: { values: data.trend.filter((t) => t.published).map((t) => ({ date: t.metric_date, roas: t.roas })) },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'date', type: 'ordinal', title: null },
          y: { field: 'roas', type: 'quantitative', title: 'ROAS', scale: { zero: false } },
        },
      },
    },
  ];
  return Promise.all(specs.map(async (s) => ({ id: s.id, title: s.title, svg: await render(s.spec) })));
}

export function topAndBottom(data: ReportData): { campaign: string; roas: number; group: string }[] {
  const withSpend = data.campaigns.filter((c) => Number(c.spend_krw) > 0 && c.roas !== null);
  const sorted = [...withSpend].sort((a, b) => (b.roas ?? 0) - (a.roas ?? 0));
  const top = sorted.slice(0, 5).map((c) => ({ campaign: c.campaign_name || c.campaign_id, roas: c.roas ?? 0, group: 'top 5' }));
  const bottom = sorted
    .slice(Math.max(5, sorted.length - 5))
    .map((c) => ({ campaign: c.campaign_name || c.campaign_id, roas: c.roas ?? 0, group: 'bottom 5' }));
  return [...top, ...bottom];
}
