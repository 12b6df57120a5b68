// generate_reports: a self-contained HTML report (inline CSS and SVG charts, opens offline),
// CSV exports, written atomically under <reportsDir>/<date>/, and the numbers for Slack.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { REPORT_NO_DATA } from '../../src/core/failure-types';
import type { ReportSummary, ValidationCheck } from '../../src/core/types';
import { renderCharts, type Chart } from './charts';
import type { ReportData } from './report-data';

/** An exact decimal amount, rounded half away from zero to whole won, with thousands separators. */
export function krw(amount: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (!m) return amount;
  const [, sign, whole, fraction = ''] = m;
  const rounded = BigInt(whole!) + (fraction.length > 0 && fraction[0]! >= '5' ? 1n : 0n);
  return `${rounded === 0n ? '' : sign}₩${rounded.toLocaleString('en-US')}`;
}
const ratio = (x: number | null, digits = 2) => (x === null || x === undefined ? '–' : x.toFixed(digits));
const percent = (x: number | null) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(2)} %`);

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function toCsv(rows: Record<string, unknown>[], columns?: string[]): string {
  const cols = columns ?? (rows[0] ? Object.keys(rows[0]) : []);
  const cell = (v: unknown) => {
    if (v === null || v === undefined) return '';
    const s = typeof v === 'number' || typeof v === 'boolean' ? String(v) : typeof v === 'string' ? v : JSON.stringify(v);
    return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

function missingDays(text: string | null): string[] {
  return text ? text.split(',').map((d) => d.trim()) : [];
}

/** Which days of the window were restated after late rows arrived, and how far their ROAS moved (dbt's figures). */
export function restatedNote(restated: { day: string; roasFirst: number | null; roasNow: number | null; changePct: number | null }[]): string {
  if (!restated.length) return '';
  const days = restated.map((r) => `${r.day} (ROAS ${ratio(r.roasFirst)} → ${ratio(r.roasNow)}${r.changePct === null ? '' : `, ${r.changePct >= 0 ? '+' : ''}${r.changePct.toFixed(1)} %`})`);
  return `Restated after late data arrived: ${days.join(', ')}.`;
}

function restatedOf(data: ReportData) {
  return (data.restated ?? []).map((r) => ({ day: r.metric_date, roasFirst: r.roas_first_published, roasNow: r.roas_now, changePct: r.roas_change_pct }));
}

function windowNote(missing: string[]): string {
  return missing.length ? `The 7-day window lacks ${missing.join(', ')} (not published: the run failed its tests or has not run).` : '';
}

export function renderHtml(data: ReportData, charts: Chart[], checks: ValidationCheck[], generatedAt: string): string {
  const change = data.totals.roas_change_pct;
  const missing = missingDays(data.totals.window_missing_days);
  const warnings = checks.filter((c) => c.status !== 'pass');
  const t = data.totals;
  const rows = data.campaigns
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.campaign_name)}</td><td>${escapeHtml(c.channel)}</td><td>${krw(c.spend_krw)}</td><td>${krw(c.revenue_krw)}</td><td>${ratio(c.roas)}</td><td>${percent(c.ctr)}</td><td>${percent(c.cvr)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Daily ROAS report ${data.runDate}</title>
<style>
  body { font-family: Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 1240px; color: #222; }
  h1 { margin-bottom: 0.2rem; } .sub { color: #666; margin-top: 0; }
  .kpis { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1.5rem 0; }
  .kpi { border: 1px solid #ddd; border-radius: 8px; padding: 0.8rem 1.2rem; min-width: 150px; }
  .kpi .label { color: #666; font-size: 0.85rem; } .kpi .value { font-size: 1.5rem; font-weight: bold; }
  .up { color: #2a9d8f; } .down { color: #e76f51; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 1.5rem; }
  figure { margin: 0; border: 1px solid #eee; border-radius: 8px; padding: 0.5rem; overflow-x: auto; }
  figure svg { max-width: 100%; height: auto; }
  figcaption.note { color: #555; font-size: 0.85rem; margin: 0.3rem 0.5rem; }
  table { border-collapse: collapse; width: 100%; font-size: 0.9rem; margin-top: 1rem; }
  th, td { border-bottom: 1px solid #eee; padding: 0.3rem 0.5rem; text-align: right; }
  th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
  .checks li.warn { color: #b5651d; } .checks li.fail { color: #c0392b; }
</style>
</head>
<body>
<h1>Daily ROAS report — ${data.runDate}</h1>
<p class="sub">UTC day ${data.runDate} · ${t.campaigns} campaigns · generated ${escapeHtml(generatedAt)}</p>
<section class="kpis">
  <div class="kpi"><div class="label">Spend</div><div class="value" id="kpi-spend">${krw(t.spend_krw)}</div></div>
  <div class="kpi"><div class="label">Revenue</div><div class="value" id="kpi-revenue">${krw(t.revenue_krw)}</div></div>
  <div class="kpi"><div class="label">ROAS</div><div class="value" id="kpi-roas">${ratio(t.roas)}</div></div>
  <div class="kpi"><div class="label">vs 7-day ROAS ${ratio(data.totals.roas_7d)}</div><div class="value ${change === null ? '' : change >= 0 ? 'up' : 'down'}">${change === null ? '–' : `${change >= 0 ? '▲' : '▼'} ${Math.abs(change).toFixed(1)} %`}</div></div>
  <div class="kpi"><div class="label">Impressions / clicks / conversions</div><div class="value">${t.impressions.toLocaleString('en-US')} / ${t.clicks.toLocaleString('en-US')} / ${t.conversions.toLocaleString('en-US')}</div></div>
</section>
${missing.length ? `<p class="sub" id="window-note">${escapeHtml(windowNote(missing))}</p>` : ''}
${restatedOf(data).length ? `<p class="sub" id="restated-note">${escapeHtml(restatedNote(restatedOf(data)))}</p>` : ''}
${
  warnings.length
    ? `<section><h2>Data quality notes</h2><ul class="checks">${warnings.map((c) => `<li class="${c.status}">${escapeHtml(c.name)}: ${escapeHtml(c.detail)}</li>`).join('')}</ul></section>`
    : ''
}
<section class="charts">
${charts
  .map((c) => `<figure id="chart-${c.id}" aria-label="${escapeHtml(c.title)}">${c.svg}${c.note ? `<figcaption class="note">${escapeHtml(c.note)}</figcaption>` : ''}</figure>`)
  .join('\n')}
</section>
<section>
<h2>Campaigns</h2>
<table id="campaigns">
<thead><tr><th>Campaign</th><th>Channel</th><th>Spend</th><th>Revenue</th><th>ROAS</th><th>CTR</th><th>CVR</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
<p class="sub">Amounts in KRW (USD converted at the seed rates); the 7-day figures cover the 7 days ending on ${data.runDate}. CSV files next to this page, with every digit as the database holds it: ${Object.keys(data.csv).join(', ')}.</p>
</section>
</body>
</html>
`;
}

/**
 * A day with no figures gets no report: a page of empty charts and ₩0 would read as a day that
 * earned nothing, and the Slack summary would announce it. The ETL fails instead (not retried:
 * the data will not appear by itself), saying which date and what to do; an earlier report of
 * the date is left as it was.
 */
export function assertReportHasData(data: ReportData): void {
  if (data.totals.campaigns > 0) return;
  const d = data.runDate;
  throw ApplicationFailure.create({
    type: REPORT_NO_DATA,
    nonRetryable: true,
    message:
      `No data for ${d}: no campaign has figures for the day in analytics.fct_daily_metrics, so no report was written. ` +
      `Check the day's events and runs with roas status --date ${d}; once the day has events (Flink, or roas generate-events) ` +
      `and its dbt run succeeded (roas run dbt --date ${d} --force), run the report again: roas run etl --date ${d} --force.`,
  });
}

/**
 * Writes the date's report into a fresh folder, then swaps it in by rename, so a reader sees the
 * old report or the new one, never half of one; a re-run replaces the date's report whole.
 */
export async function writeReport(reportsDir: string, data: ReportData, checks: ValidationCheck[], generatedAt: string): Promise<ReportSummary> {
  assertReportHasData(data);
  mkdirSync(reportsDir, { recursive: true });
  const charts = await renderCharts(data);
  const token = randomBytes(4).toString('hex');
  const staging = path.join(reportsDir, `.tmp-${data.runDate}-${token}`);
  mkdirSync(staging);
  const files: Record<string, string> = {
    'index.html': renderHtml(data, charts, checks, generatedAt),
    ...data.csv,
    'validation.csv': toCsv(checks as unknown as Record<string, unknown>[], ['name', 'status', 'value', 'threshold', 'detail']),
  };
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(staging, name), content);
  const finalDir = path.join(reportsDir, data.runDate);
  const retired = path.join(reportsDir, `.old-${data.runDate}-${token}`);
  if (existsSync(finalDir)) renameSync(finalDir, retired);
  renameSync(staging, finalDir);
  rmSync(retired, { recursive: true, force: true });
  return {
    runDate: data.runDate,
    dir: finalDir,
    htmlPath: path.join(finalDir, 'index.html'),
    files: Object.keys(files),
    spendKrw: data.totals.spend_krw,
    revenueKrw: data.totals.revenue_krw,
    roas: data.totals.roas,
    roas7d: data.totals.roas_7d,
    roasChangePct: data.totals.roas_change_pct,
    windowMissingDays: missingDays(data.totals.window_missing_days),
    restatedDays: restatedOf(data),
    campaigns: data.totals.campaigns,
  };
}

export function slackSummary(summary: ReportSummary, checks: ValidationCheck[]): { title: string; lines: string[] } {
  const change = summary.roasChangePct;
  const warnings = checks.filter((c) => c.status === 'warn');
  return {
    title: `Daily ROAS report ${summary.runDate}: ROAS ${ratio(summary.roas)}`,
    lines: [
      `Spend ${krw(summary.spendKrw)} · Revenue ${krw(summary.revenueKrw)} · ROAS ${ratio(summary.roas)} · ${summary.campaigns} campaigns`,
      change === null ? 'No 7-day history to compare with yet.' : `${change >= 0 ? '▲' : '▼'} ${Math.abs(change).toFixed(1)} % against the 7-day ROAS of ${ratio(summary.roas7d)}`,
      ...(summary.windowMissingDays.length ? [windowNote(summary.windowMissingDays)] : []),
      ...(summary.restatedDays?.length ? [restatedNote(summary.restatedDays)] : []),
      ...(warnings.length ? [`Data quality notes: ${warnings.map((w) => w.name).join(', ')}`] : []),
      `Report: ${summary.htmlPath}`,
    ],
  };
}
