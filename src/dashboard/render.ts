// The dashboard's sections as HTML, from the data gathered in data.ts. Each section is rendered
// on the server for the first paint and again for every refresh (the page swaps the sections
// whose HTML changed); links are relative, so the page works behind a path prefix too.
import { krw } from '../../activities/etl/report';
import type { Cell, CellState, Dashboard, DayRow, FlinkCell, LiveRun, NodeTiming, QualityRow } from './data';
import { chart, esc, shortDate, sparkline } from './svg';
import { pipelineNamed, PIPELINES } from '../core/pipelines';
import type { Pipeline } from './files';

export const SECTIONS = ['health', 'calendar', 'live', 'runs', 'slowest', 'quality', 'volume', 'business', 'alerts'] as const;
export type SectionId = (typeof SECTIONS)[number];

const STATE_ICON: Record<CellState, string> = {
  succeeded: '✓',
  failed: '✗',
  running: '▶',
  waiting: '…',
  skipped: '↷',
  missing: '?',
  cancelled: '⊘',
  'not-due': '·',
};
const STATE_WORD: Record<CellState, string> = {
  succeeded: 'succeeded',
  failed: 'failed',
  running: 'running',
  waiting: 'waiting',
  skipped: 'skipped',
  missing: 'missing',
  cancelled: 'cancelled',
  'not-due': 'not due yet',
};
const FLINK_WORD: Partial<Record<CellState, string>> = { succeeded: 'reported', waiting: 'a run waits for it', missing: 'not reported', failed: 'not reported in time' };
const CHANNEL_COLORS: Record<string, string> = { google: '#4285f4', meta: '#7b61ff', naver: '#03a94d', kakao: '#e0a800', tiktok: '#e1306c' };
const channelColor = (c: string) => CHANNEL_COLORS[c] ?? '#888';

export const roasText = (r: number | null | undefined) => (r === null || r === undefined ? '–' : `${r.toFixed(2)}×`);
const int = (n: number | null | undefined) => (n === null || n === undefined ? '–' : n.toLocaleString('en-US'));
function minutes(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60 ? `${s % 60} s` : ''}`.trim();
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
/** ₩ amounts on an axis: ₩1.2M, ₩350k. */
function compactKrw(v: number): string {
  if (v >= 1e9) return `₩${(v / 1e9).toFixed(v >= 1e10 ? 0 : 1)}B`;
  if (v >= 1e6) return `₩${(v / 1e6).toFixed(v >= 1e7 ? 0 : 1)}M`;
  if (v >= 1e3) return `₩${(v / 1e3).toFixed(0)}k`;
  return `₩${v.toFixed(0)}`;
}
const compactInt = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(v >= 1e7 ? 0 : 1)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(0)}k` : `${Math.round(v)}`);
const time = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '–');

/** A ledger name as people read it, from the registry. */
const pipelineTitle = (name: string) => pipelineNamed(name)?.title ?? name;

export function renderSections(d: Dashboard): Record<SectionId, string> {
  return {
    health: renderHealth(d),
    calendar: renderCalendar(d),
    live: renderLive(d),
    runs: renderRuns(d),
    slowest: renderSlowest(d),
    quality: renderQuality(d),
    volume: renderVolume(d),
    business: renderBusiness(d),
    alerts: renderAlerts(d),
  };
}

function renderHealth(d: Dashboard): string {
  const latest = d.business.latest;
  const lastDay = d.calendar[d.calendar.length - 1];
  const kpi = (label: string, value: string, id: string, sub = '') =>
    `<div class="kpi"><div class="label">${esc(label)}</div><div class="value" id="${id}">${value}</div>${sub ? `<div class="sub">${sub}</div>` : ''}</div>`;
  const change = latest && latest.roas !== null && latest.roas7d ? ((latest.roas - latest.roas7d) / latest.roas7d) * 100 : null;
  return `<div class="health ${d.health.level}" data-level="${d.health.level}">
  <div class="verdict"><span class="dot"></span><strong>${esc(d.health.headline)}</strong>
  <span class="muted">· ${esc(d.window.start)} – ${esc(d.window.end)} · Temporal ${d.temporal.reachable ? 'reachable' : `<b class="bad-text">unreachable</b>`} · ${d.live.length} run(s) in progress</span></div>
  ${d.dbt ? `<div class="muted small" id="dbt-warm">${esc(d.dbt)}</div>` : ''}
  ${d.health.reasons.length ? `<ul class="reasons">${d.health.reasons.slice(0, 8).map((r) => `<li>${esc(r)}</li>`).join('')}${d.health.reasons.length > 8 ? `<li>… and ${d.health.reasons.length - 8} more</li>` : ''}</ul>` : ''}
</div>
<div class="kpis">
  ${kpi(`Spend ${latest ? shortDate(latest.date) : ''}`, latest ? esc(krw(latest.spend)) : '–', 'kpi-spend')}
  ${kpi(`Revenue ${latest ? shortDate(latest.date) : ''}`, latest ? esc(krw(latest.revenue)) : '–', 'kpi-revenue')}
  ${kpi('ROAS', latest ? roasText(latest.roas) : '–', 'kpi-roas', latest?.roas7d ? `7-day ${roasText(latest.roas7d)}${change !== null ? ` · <span class="${change >= 0 ? 'up' : 'down'}">${change >= 0 ? '▲' : '▼'} ${Math.abs(change).toFixed(1)} %</span>` : ''}` : '')}
  ${kpi(`Spend, ${d.window.days} days`, esc(krw(d.business.total.spend)), 'kpi-spend-window', `ROAS ${roasText(d.business.total.roas)}`)}
  ${kpi('Latest day', lastDay ? `${cellBadge(lastDay.dbt.state)} ${cellBadge(lastDay.etl.state)}` : '–', 'kpi-latest', lastDay ? `${esc(lastDay.date)}: dbt run ${STATE_WORD[lastDay.dbt.state]}, ETL ${STATE_WORD[lastDay.etl.state]}` : '')}
  ${kpi(`Alerts, ${d.window.days} days`, String(d.alerts.inWindow.total), 'kpi-alerts', d.alerts.inWindow.notDelivered ? `<span class="down">${d.alerts.inWindow.notDelivered} not delivered</span>` : 'all delivered')}
</div>`;
}

const cellBadge = (s: CellState) => `<span class="badge s-${s}" title="${STATE_WORD[s]}">${STATE_ICON[s]}</span>`;

function cellTitle(what: string, date: string, c: Cell | FlinkCell): string {
  const extra: string[] = [];
  if ('slaMissed' in c && c.slaMissed) extra.push('SLA missed');
  if ('retries' in c && c.retries) extra.push(`${c.retries} ${c.retries === 1 ? 'retry' : 'retries'}`);
  if ('reruns' in c && c.reruns) extra.push(`${c.reruns + 1} runs`);
  if (c.warn) extra.push('warnings');
  return `${what} ${date}: ${c.label}${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

function renderCalendar(d: Dashboard): string {
  const n = d.calendar.length;
  const head = d.calendar
    .map((day, i) => {
      const dd = day.date.slice(8, 10);
      const showMonth = i === 0 || dd === '01';
      return `<div class="dayhead${showMonth ? ' month' : ''}" title="${day.date}">${showMonth ? esc(shortDate(day.date)) : Number(dd)}</div>`;
    })
    .join('');
  const row = (label: string, key: 'flink' | 'dbt' | 'etl') =>
    `<div class="rowlabel">${label}</div>` +
    d.calendar
      .map((day) => {
        const c = day[key];
        const marks = [
          'slaMissed' in c && c.slaMissed ? '<b class="m-sla" title="SLA missed">SLA</b>' : '',
          'retries' in c && c.retries ? `<b class="m-retry" title="retried">↻${c.retries}</b>` : '',
          c.warn ? '<b class="m-warn" title="warnings">!</b>' : '',
        ].join('');
        const cls = ['cell', `s-${c.state}`, 'slaMissed' in c && c.slaMissed ? 'sla-missed' : '', c.warn ? 'warned' : ''].filter(Boolean).join(' ');
        return `<a class="${cls}" href="#d-${day.date}" data-day="${day.date}" data-pipeline="${key}" data-state="${c.state}"${'slaMissed' in c && c.slaMissed ? ' data-sla="missed"' : ''}${'retries' in c && c.retries ? ` data-retries="${c.retries}"` : ''} title="${esc(cellTitle(key === 'flink' ? 'Flink' : key === 'dbt' ? 'dbt run' : 'daily ETL', day.date, c))}">${STATE_ICON[c.state]}${marks}</a>`;
      })
      .join('');
  const legend = (Object.keys(STATE_ICON) as CellState[]).map((s) => `<span class="key">${cellBadge(s)} ${STATE_WORD[s]}</span>`).join('');
  const selected = [...d.calendar].reverse().find((day) => [day.dbt.state, day.etl.state, day.flink.state].some((s) => s === 'failed' || s === 'running' || s === 'waiting')) ?? d.calendar[n - 1];
  return `<div class="calendar" style="grid-template-columns: 92px repeat(${n}, minmax(0, 1fr))">
  <div class="rowlabel"></div>${head}
  ${row('Flink complete', 'flink')}
  ${row('dbt run', 'dbt')}
  ${row('daily ETL', 'etl')}
</div>
<div class="legend calendar-legend">${legend}<span class="key"><span class="badge s-succeeded sla-missed">✓</span> SLA missed</span><span class="key"><b class="m-retry">↻</b> retried</span><span class="key"><b class="m-warn">!</b> warnings</span><span class="muted">Click a day for its runs, links and figures.</span></div>
<div class="daydetails">${d.calendar.map((day) => renderDay(d, day, day === selected)).join('')}</div>`;
}

function runLines(c: Cell, pipeline: Pipeline): string {
  const r = c.run;
  if (!r) return '';
  const sla = pipeline === PIPELINES.dbt.name ? (r.slaMet === null ? (r.status === 'running' ? 'pending' : '–') : r.slaMet ? 'met' : 'MISSED') : 'none';
  return `<div class="facts">trigger ${esc(r.trigger)} · started ${esc(time(r.startedAt))} · ${r.finishedAt ? `took ${minutes(r.durationMs)}` : `running for ${minutes(r.durationMs)}`} · attempts ${r.attempts} · SLA ${sla}</div>`;
}

function renderDay(d: Dashboard, day: DayRow, isDefault: boolean): string {
  const money = d.business.days.find((b) => b.date === day.date);
  const block = (title: string, c: Cell | FlinkCell, links: string) => `<div class="runblock">
  <h4>${cellBadge(c.state)} ${esc(title)} <span class="state-word">${esc(title === 'Flink complete' ? (FLINK_WORD[c.state] ?? STATE_WORD[c.state]) : STATE_WORD[c.state])}</span></h4>
  <div class="label">${esc(c.label)}</div>
  ${'run' in c ? runLines(c, title === PIPELINES.dbt.title ? PIPELINES.dbt.name : PIPELINES.etl.name) : ''}
  ${c.detail.length ? `<ul class="detail">${c.detail.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>` : ''}
  ${links}
</div>`;
  const runLinks = (c: Cell, logs: string, command: string) => {
    const others = c.runs.length > 1 ? `<details class="allruns"><summary>${c.runs.length} runs of this date</summary><ul>${c.runs.map((r) => `<li><a href="${esc(r.uiLink)}" target="_blank" rel="noopener">${esc(r.status)} · ${esc(time(r.startedAt))} · ${r.attempts} attempt(s)</a></li>`).join('')}</ul></details>` : '';
    return `<div class="links">${c.run ? `<a class="ui-link" href="${esc(c.run.uiLink)}" target="_blank" rel="noopener">Temporal Web UI</a>` : ''}
      ${c.run ? `<a class="logs-link" href="${esc(logs)}" target="_blank">dbt logs</a> <code>${esc(command)}</code>` : ''}${others}</div>`;
  };
  const dayAlerts = day.alerts.length ? `<p class="muted">${day.alerts.length} alert(s): ${day.alerts.map((a) => `${esc(a.kind)} (${esc(pipelineTitle(a.pipeline))}, ${a.delivered ? 'delivered' : 'not delivered'})`).join(', ')}</p>` : '';
  return `<section class="daydetail${isDefault ? ' default' : ''}" id="d-${day.date}" data-day="${day.date}">
  <h3>${esc(day.date)} <span class="muted">${money ? `spend <span class="d-spend">${esc(krw(money.spend))}</span> · revenue <span class="d-revenue">${esc(krw(money.revenue))}</span> · ROAS <span class="d-roas">${roasText(money.roas)}</span>` : 'no published figures'}</span>
  ${day.links.report ? `<a class="report-link" href="${esc(day.links.report)}" target="_blank">the day's report</a>` : '<span class="muted">no report</span>'}</h3>
  <div class="runblocks">
  ${block('Flink complete', day.flink, '')}
  ${block('dbt run', day.dbt, runLinks(day.dbt, day.links.logsDbt, day.links.logsCommand))}
  ${block('daily ETL', day.etl, runLinks(day.etl, day.links.logsEtl, `roas logs etl --date ${day.date}`))}
  </div>
  ${dayAlerts}
</section>`;
}

function renderLive(d: Dashboard): string {
  if (!d.temporal.reachable) return `<p class="bad-text">Temporal is not reachable: ${esc(d.temporal.error ?? '')}. Runs in progress cannot be read.</p>`;
  if (!d.live.length) return '<p class="muted">No run in progress.</p>';
  const row = (l: LiveRun) => {
    const pct = l.nodesTotal ? Math.round((100 * l.nodesDone) / l.nodesTotal) : 0;
    const sla =
      l.msToSla === null ? '<span class="muted">no SLA</span>' : l.msToSla >= 0 ? `${minutes(l.msToSla)} left` : `<span class="bad-text">missed ${minutes(-l.msToSla)} ago</span>`;
    return `<tr data-workflow="${esc(l.workflowId)}" data-step="${esc(l.step)}">
  <td>${esc(l.runDate)}</td><td>${esc(pipelineTitle(l.pipeline))}</td>
  <td class="step">${esc(l.step)}</td>
  <td class="nodes">${l.nodesTotal ? `<div class="bar"><i style="width:${pct}%"></i></div><span class="nodes-text">${l.nodesDone}/${l.nodesTotal} nodes</span>` : '<span class="muted">–</span>'}</td>
  <td class="attempt">${l.attempt || '–'}</td>
  <td class="sla">${sla}</td>
  <td class="what">${esc(l.text)}${l.failures.length ? ` <span class="bad-text">failing: ${esc(l.failures.join(', '))}</span>` : ''}${l.error ? ` <span class="muted">(${esc(l.error)})</span>` : ''}</td>
  <td><a href="${esc(l.uiLink)}" target="_blank" rel="noopener">Web UI</a></td></tr>`;
  };
  return `<table class="live"><thead><tr><th>date</th><th>pipeline</th><th>step</th><th>dbt nodes done</th><th>attempt</th><th>time to SLA</th><th>now</th><th></th></tr></thead><tbody>${d.live.map(row).join('')}</tbody></table>`;
}

function renderRuns(d: Dashboard): string {
  const dates = d.window.dates;
  const slaMin = d.slaMs / 60_000;
  const durations = chart({
    title: 'dbt run: minutes from its scheduled time to done, against the SLA',
    id: 'chart-durations',
    dates,
    series: [
      {
        name: 'dbt run (scheduled → done)',
        color: '#3b8d5a',
        kind: 'bar',
        values: d.durations.map((x) => (x.dbtMinutes === null ? null : Math.round(x.dbtMinutes * 10) / 10)),
        colors: d.durations.map((x) => (x.running ? '#3b6ea5' : x.slaMissed ? '#c0392b' : null)),
        titles: d.durations.map((x) =>
          x.dbtMinutes === null ? null : `dbt run ${x.date}: done ${x.dbtMinutes.toFixed(1)} min after its scheduled time (ran ${x.dbtRunMinutes!.toFixed(1)} min)${x.slaMissed ? ', SLA missed' : ''}${x.running ? ', still running' : ''}`,
        ),
      },
      { name: 'daily ETL (run time)', color: '#9aa5b1', kind: 'bar', values: d.durations.map((x) => (x.etlMinutes === null ? null : Math.round(x.etlMinutes * 10) / 10)) },
    ],
    rules: [{ value: slaMin, label: `SLA ${slaMin} min`, color: '#c0392b' }],
    yFormat: (v) => `${Math.round(v)} min`,
  });
  const attempts = chart({
    title: 'Attempts per day',
    id: 'chart-attempts',
    dates,
    series: [
      {
        name: 'dbt run attempts',
        color: '#3b6ea5',
        kind: 'bar',
        values: d.attempts.map((a) => a.dbtAttempts || null),
        colors: d.attempts.map((a) => (a.dbtAttempts > 1 ? '#e07b39' : null)),
        titles: d.attempts.map((a) => (a.dbtAttempts ? `dbt run ${a.date}: ${a.dbtAttempts} attempt(s), ${a.dbtAttempts - 1} retries; ${a.dbtRuns} run(s) of the date` : null)),
      },
      {
        name: 'daily ETL attempts',
        color: '#9aa5b1',
        kind: 'bar',
        values: d.attempts.map((a) => a.etlAttempts || null),
        titles: d.attempts.map((a) => (a.etlAttempts ? `daily ETL ${a.date}: ${a.etlAttempts} attempt(s); ${a.etlRuns} run(s) of the date` : null)),
      },
    ],
    minMax: 4,
    yFormat: (v) => String(v),
  });
  const retries = d.attempts.reduce((s, a) => s + Math.max(0, a.dbtAttempts - 1) + Math.max(0, a.etlAttempts - 1), 0);
  const reruns = d.attempts.reduce((s, a) => s + Math.max(0, a.dbtRuns - 1) + Math.max(0, a.etlRuns - 1), 0);
  const missed = d.durations.filter((x) => x.slaMissed).length;
  return `<div class="two">
  <div><h3>Run duration per day <span class="muted">· ${missed} SLA miss(es) in ${d.window.days} days</span></h3>${durations}</div>
  <div><h3>Attempts and retries per day <span class="muted">· ${retries} retries, ${reruns} re-runs</span></h3>${attempts}<p class="muted small">Orange: the day's dbt run needed retries. A retry re-runs only what failed; a re-run is a new run of the date (--force).</p></div>
</div>`;
}

export function renderSlowest(d: Pick<Dashboard, 'window' | 'slowest'>): string {
  const table = (title: string, rows: NodeTiming[]) =>
    `<table class="slowest"><thead><tr><th>${esc(title)}</th><th>latest</th><th>median</th><th>max</th><th>${d.window.days} days</th></tr></thead><tbody>${
      rows.length
        ? rows
            .map(
              (t) =>
                `<tr data-node="${esc(t.name)}"><td class="name" title="${esc(t.name)}">${t.type === 'test' ? `<code>${esc(t.name)}</code>` : `<a href="models/${encodeURIComponent(t.name)}"><code>${esc(t.name)}</code></a>`}${t.pipeline === PIPELINES.etl.name ? ' <span class="muted">(ETL)</span>' : ''}</td><td>${t.latest === null ? '–' : `${t.latest.toFixed(2)} s`}</td><td>${t.median.toFixed(2)} s</td><td>${t.max.toFixed(2)} s</td><td>${sparkline(t.seconds)}</td></tr>`,
            )
            .join('')
        : `<tr><td colspan="5" class="muted">No run_results.json of this window on this worker.</td></tr>`
    }</tbody></table>`;
  return `<h3>Slowest dbt models and tests <span class="muted">· from run_results.json of ${d.slowest.daysWithResults} day(s), median over the window</span></h3>
<div class="two">${table('model', d.slowest.models)}${table('test', d.slowest.tests)}</div>`;
}

function renderQuality(d: Dashboard): string {
  const n = d.window.dates.length;
  const head = d.window.dates.map((date, i) => `<div class="dayhead">${i === 0 || date.endsWith('-01') ? esc(shortDate(date)) : Number(date.slice(8))}</div>`).join('');
  const row = (q: QualityRow) =>
    `<div class="qlabel" title="${esc(q.kind)}"><code>${esc(q.name)}</code> <span class="kind">${esc(q.kind)}</span>${q.warned || q.failed ? ` <span class="counts">${q.warned ? `<b class="warn-text">${q.warned} warn</b>` : ''}${q.failed ? ` <b class="bad-text">${q.failed} fail</b>` : ''}</span>` : ''}</div>` +
    q.statuses
      .map(
        (s, i) =>
          `<span class="q q-${s ?? 'none'}" data-check="${esc(q.name)}" data-day="${d.window.dates[i]}" data-status="${s ?? 'none'}" title="${esc(`${q.name} ${d.window.dates[i]}: ${s ?? 'no result'}${q.details[i] ? ` — ${q.details[i]}` : ''}`)}"></span>`,
      )
      .join('');
  return `<h3>Data quality per day <span class="muted">· the daily ETL's validation checks, the warn-severity dbt tests, and every test that failed</span></h3>
<div class="quality" style="grid-template-columns: 300px repeat(${n}, minmax(0, 1fr))"><div></div>${head}${d.quality.map(row).join('')}</div>
<div class="legend"><span class="key"><span class="q q-pass"></span> pass</span><span class="key"><span class="q q-warn"></span> warn</span><span class="key"><span class="q q-fail"></span> fail</span><span class="key"><span class="q q-none"></span> not run</span></div>`;
}

function renderVolume(d: Dashboard): string {
  const dates = d.window.dates;
  const v = d.volume;
  const events = chart({
    title: 'Events per day',
    id: 'chart-volume',
    dates,
    stacked: true,
    series: [
      { name: 'de-duplicated events', color: '#3b6ea5', kind: 'bar', values: v.map((x) => x.events) },
      { name: 'repeated deliveries', color: '#e07b39', kind: 'bar', values: v.map((x) => (x.delivered !== null && x.events !== null ? x.delivered - x.events : null)) },
      { name: "Flink's count (marker)", color: '#222', kind: 'line', values: v.map((x) => x.markerCount), strokeWidth: 1 },
    ],
    yFormat: compactInt,
  });
  const late = chart({
    title: 'Late events per day',
    id: 'chart-late',
    dates,
    series: [
      { name: 'late events (ingested after the marker)', color: '#b5651d', kind: 'bar', values: v.map((x) => x.late) },
      { name: 'late rows not yet restated', color: '#c0392b', kind: 'bar', values: v.map((x) => x.lateWaiting ?? null) },
      { name: 'restatements of the day', color: '#2a9d8f', kind: 'line', values: v.map((x) => x.restated ?? 0), strokeWidth: 1 },
    ],
    minMax: 10,
    yFormat: compactInt,
  });
  return `<h3>Data volume per day <span class="muted">· from the published staging models and Flink's markers</span></h3><div class="two">${events}${late}</div>`;
}

function renderBusiness(d: Dashboard): string {
  const b = d.business;
  if (!b.published) return '<p class="muted">Nothing published in analytics yet: the first successful dbt run publishes its day.</p>';
  const dates = d.window.dates;
  const byDate = new Map(b.days.map((x) => [x.date, x]));
  const spendRevenue = chart({
    title: 'Spend and revenue per day (KRW)',
    id: 'chart-money',
    dates,
    series: [
      { name: 'spend', color: '#e07b39', kind: 'bar', values: dates.map((x) => (byDate.has(x) ? Number(byDate.get(x)!.spend) : null)), titles: dates.map((x) => (byDate.has(x) ? `spend ${x}: ${krw(byDate.get(x)!.spend)}` : null)) },
      { name: 'revenue', color: '#3b8d5a', kind: 'bar', values: dates.map((x) => (byDate.has(x) ? Number(byDate.get(x)!.revenue) : null)), titles: dates.map((x) => (byDate.has(x) ? `revenue ${x}: ${krw(byDate.get(x)!.revenue)}` : null)) },
    ],
    yFormat: compactKrw,
  });
  const channels = b.channels.map((c) => c.channel);
  const roas = chart({
    title: 'ROAS per day and channel',
    id: 'chart-roas',
    dates,
    series: [
      ...channels.map((c) => ({ name: c, color: channelColor(c), kind: 'line' as const, values: dates.map((x) => byDate.get(x)?.channels[c]?.roas ?? null), strokeWidth: 1.2 })),
      { name: 'all channels', color: '#111', kind: 'line' as const, values: dates.map((x) => byDate.get(x)?.roas ?? null), strokeWidth: 2.6 },
      { name: '7-day ROAS (report)', color: '#111', kind: 'line' as const, values: dates.map((x) => byDate.get(x)?.roas7d ?? null), dashed: true, strokeWidth: 1.2 },
    ],
    yFormat: (v) => `${v.toFixed(1)}×`,
  });
  const channelRows = b.channels
    .map((c) => `<tr data-channel="${esc(c.channel)}"><td><i class="sw" style="background:${channelColor(c.channel)}"></i>${esc(c.channel)}</td><td>${esc(krw(c.total.spend))}</td><td>${esc(krw(c.total.revenue))}</td><td>${roasText(c.total.roas)}</td></tr>`)
    .join('');
  const dayRows = [...b.days]
    .reverse()
    .map(
      (x) =>
        `<tr data-day="${x.date}"><td>${x.date}</td><td class="spend">${esc(krw(x.spend))}</td><td class="revenue">${esc(krw(x.revenue))}</td><td class="roas">${roasText(x.roas)}</td>${channels.map((c) => `<td>${roasText(x.channels[c]?.roas)}</td>`).join('')}<td>${int(x.conversions)}</td></tr>`,
    )
    .join('');
  return `<h3>Business: spend, revenue and ROAS <span class="muted">· published days of analytics.fct_daily_metrics, KRW</span></h3>
<div class="two">${spendRevenue}${roas}</div>
<div class="two">
<table class="channels"><thead><tr><th>channel, ${d.window.days} days</th><th>spend</th><th>revenue</th><th>ROAS</th></tr></thead><tbody>${channelRows}</tbody>
<tfoot><tr><td>all</td><td id="window-spend">${esc(krw(b.total.spend))}</td><td id="window-revenue">${esc(krw(b.total.revenue))}</td><td>${roasText(b.total.roas)}</td></tr></tfoot></table>
<details class="daily"><summary>Figures per day (${b.days.length} published days)</summary>
<table class="days"><thead><tr><th>day</th><th>spend</th><th>revenue</th><th>ROAS</th>${channels.map((c) => `<th>${esc(c)}</th>`).join('')}<th>conversions</th></tr></thead><tbody>${dayRows}</tbody></table></details>
</div>`;
}

function renderAlerts(d: Dashboard): string {
  const a = d.alerts;
  const kinds = Object.entries(a.inWindow.byKind)
    .map(([k, n]) => `${n} ${k.replace(/_/g, ' ')}`)
    .join(', ');
  const rows = a.recent
    .map(
      (x) => `<tr data-alert="${x.id}" data-delivered="${x.delivered}">
  <td>${esc(time(x.createdAt))}</td><td>${esc(x.runDate)}</td><td>${esc(pipelineTitle(x.pipeline))}</td><td><span class="kind k-${esc(x.kind)}">${esc(x.kind.replace(/_/g, ' '))}</span></td>
  <td><details><summary>${esc(x.title)}</summary><pre>${esc(x.text)}</pre></details></td>
  <td class="slack">${x.delivered ? '<span class="ok-text">delivered</span>' : `<span class="bad-text">not delivered</span> <span class="muted">${esc(x.deliveryError ?? '')}</span>`}</td></tr>`,
    )
    .join('');
  return `<h3>Alerts <span class="muted">· <span id="alerts-window-count">${a.inWindow.total}</span> for the dates of the window${kinds ? ` (${esc(kinds)})` : ''}; <span id="alerts-window-delivered">${a.inWindow.delivered}</span> delivered to Slack, <span id="alerts-window-undelivered">${a.inWindow.notDelivered}</span> not</span></h3>
${a.recent.length ? `<div class="scroll"><table class="alerts"><thead><tr><th>raised</th><th>date</th><th>pipeline</th><th>kind</th><th>alert</th><th>Slack</th></tr></thead><tbody>${rows}</tbody></table></div><p class="muted small">The ${a.recent.length} most recent alerts, any date.</p>` : '<p class="muted">No alert yet.</p>'}`;
}
