// A model's page as HTML: its duration and cost per day (charts), its tests per day with the
// failing rows' counts, its freshness against its promise per day, and what it reads and writes.
// No script; every value from the record is escaped; links are relative (the page is served at
// models/<name>, so a sibling model is `<name>` and the dashboard is `../`).
import type { ModelDay, ModelHistory, ModelTestHistory } from './sections/model';
import { chart, esc, shortDate } from './svg';

const CSS = `
body { font: 14px/1.4 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2329; margin: 0; background: #f6f7f9; }
header { display: flex; align-items: baseline; gap: 1rem; padding: .6rem 1.2rem; background: #1d2329; color: #fff; flex-wrap: wrap; }
header h1 { font-size: 1.05rem; margin: 0; } header a { color: #b9c0c8; } header code { background: #39424c; color: #fff; font-size: .95rem; } header .meta { color: #b9c0c8; font-size: .85rem; }
header form { margin-left: auto; display: flex; gap: .4rem; align-items: center; font-size: .85rem; color: #b9c0c8; }
main { max-width: 1200px; margin: 0 auto; padding: .8rem 1.2rem 2rem; display: grid; gap: .8rem; }
section { background: #fff; border: 1px solid #e3e6ea; border-radius: 8px; padding: .7rem .9rem; min-width: 0; overflow-x: auto; }
h2 { font-size: .95rem; margin: 0 0 .5rem; } .muted { color: #6b7480; } .bad { color: #c0392b; } .warn { color: #d98c1f; } .ok { color: #2e8b57; }
.two { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 1rem; }
table { border-collapse: collapse; width: 100%; font-size: .83rem; }
th, td { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid #e3e6ea; white-space: nowrap; } td.state, td.miss { white-space: normal; min-width: 10rem; max-width: 22rem; overflow-wrap: anywhere; }
th { color: #6b7480; font-size: .78rem; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.q { text-align: center; font-size: .75rem; padding: .2rem; } .q-passed { background: #b9e0c5; } .q-warned { background: #f3c27a; } .q-failed { background: #e99a90; } .q-skipped { background: #eef0f2; }
code { font-size: .8rem; background: #f1f3f5; padding: 0 3px; border-radius: 3px; }
figure.chart { margin: 0; } section > figure.chart { max-width: 760px; } figure.chart svg { width: 100%; height: auto; display: block; }
svg .grid { stroke: #edf0f2; } svg .tick { font-size: 10px; fill: #6b7480; } svg .rule-label { font-size: 10px; font-weight: 600; }
.legend { display: flex; flex-wrap: wrap; gap: .3rem .9rem; font-size: .78rem; color: #6b7480; margin-top: .4rem; }
.legend .key { display: inline-flex; align-items: center; gap: .3rem; } .legend .key i { display: inline-block; width: 12px; height: 10px; border-radius: 2px; }
.legend .key i.dash { height: 0; border-top: 2px dashed; width: 16px; border-radius: 0; }
@media (max-width: 900px) { .two { grid-template-columns: minmax(0, 1fr); } }
`;

const int = (n: number | null) => (n === null ? '–' : Math.round(n).toLocaleString('en-US'));
const secs = (n: number | null) => (n === null ? '–' : n < 60 ? `${n.toFixed(2)} s` : `${Math.floor(n / 60)} min ${Math.round(n % 60)} s`);
const hours = (s: number) => `${(s / 3600).toFixed(s < 36_000 ? 1 : 0)} h`;
const STATE_CLASS: Record<string, string> = { passed: 'ok', failed: 'bad', skipped: 'warn' };

/** A model, seed or source name, linked to its page when it has one. */
const nameLink = (name: string, type: string) => (type === 'model' || type === 'seed' || type === 'snapshot' ? `<a href="${encodeURIComponent(name)}"><code>${esc(name)}</code></a>` : `<code>${esc(name)}</code>`);

function charts(h: ModelHistory): string {
  const dates = h.window.dates;
  const failed = h.days.map((d) => (d.state === 'failed' ? '#c0392b' : null));
  const duration = chart({
    title: `${h.name}: duration per day`,
    id: 'chart-duration',
    dates,
    series: [{ name: 'duration (s)', color: '#3b6ea5', kind: 'bar', values: h.days.map((d) => d.durationSeconds), colors: failed, titles: h.days.map((d) => (d.state ? `${d.date}: ${d.state}, ${secs(d.durationSeconds)}` : null)) }],
    yFormat: (v) => `${v.toFixed(v < 10 ? 1 : 0)} s`,
  });
  const hasCost = h.days.some((d) => d.execMs !== null);
  const cost = hasCost
    ? chart({
        title: `${h.name}: time in PostgreSQL per day`,
        id: 'chart-cost',
        dates,
        series: [
          {
            name: 'time in PostgreSQL (ms, pg_stat_statements)',
            color: '#7b61ff',
            kind: 'bar',
            values: h.days.map((d) => d.execMs),
            titles: h.days.map((d) => (d.execMs === null ? null : `${d.date}: ${int(d.execMs)} ms, ${int(d.calls)} statements, blocks ${int(d.sharedBlksRead)} read, ${int(d.sharedBlksHit)} hit`)),
          },
        ],
        yFormat: (v) => `${Math.round(v)} ms`,
      })
    : '<p class="muted" id="chart-cost">No cost recorded in this window: pg_stat_statements was not loaded on the database when these runs ran.</p>';
  return `<section><h2>Duration and cost per day</h2><div class="two">${duration}${cost}</div></section>`;
}

function freshnessChart(h: ModelHistory): string {
  if (!h.days.some((d) => d.publish)) return '<p class="muted" id="chart-freshness">Not published in this window.</p>';
  const promise = [...h.days].reverse().find((d) => d.publish?.promiseSeconds != null)?.publish;
  return chart({
    title: `${h.name}: hours from the end of the day to the publish`,
    id: 'chart-freshness',
    dates: h.window.dates,
    series: [
      {
        name: 'published, hours after the day ended',
        color: '#2e8b57',
        kind: 'bar',
        values: h.days.map((d) => (d.publish ? d.publish.freshnessSeconds / 3600 : null)),
        colors: h.days.map((d) => (d.publish?.met === false ? '#c0392b' : null)),
        titles: h.days.map((d) => (d.publish ? `${d.date}: ${hours(d.publish.freshnessSeconds)} after the day ended${d.publish.met === false ? ', promise missed' : ''}` : null)),
      },
    ],
    rules: promise?.promiseSeconds != null ? [{ value: promise.promiseSeconds / 3600, label: `promise: ${promise.promise ?? hours(promise.promiseSeconds)}`, color: '#d98c1f' }] : [],
    yFormat: (v) => `${v.toFixed(v < 10 ? 1 : 0)} h`,
  });
}

function freshnessCell(d: ModelDay): string {
  if (d.publish) {
    const p = d.publish;
    const verdict = p.met === null ? '<span class="muted">no promise</span>' : p.met ? '<span class="ok">met</span>' : '<b class="bad">missed</b>';
    return `<td>${esc(p.publishedAt.slice(0, 16).replace('T', ' '))}</td><td class="num">${hours(p.freshnessSeconds)}</td><td>${p.promiseSeconds !== null ? hours(p.promiseSeconds) : '–'}</td><td>${verdict}</td>`;
  }
  if (d.miss) return `<td colspan="3" class="bad miss">${esc(d.miss.detail)}</td><td><b class="bad">${esc(d.miss.kind)}</b></td>`;
  return '<td colspan="4" class="muted">–</td>';
}

function dayTable(h: ModelHistory): string {
  const rows = [...h.days]
    .reverse()
    .map((d) => {
      const state = d.state ? `<span class="${STATE_CLASS[d.state] ?? ''}">${esc(d.state)}</span>${d.message ? ` <span class="muted" title="${esc(d.message)}">${esc(d.message.split('\n')[0]!.slice(0, 80))}</span>` : ''}` : '<span class="muted">not run</span>';
      const tests = h.tests.map((t) => t.days[h.window.dates.indexOf(d.date)]).filter((x) => x);
      const failedTests = tests.filter((x) => x!.state === 'failed').length;
      const warned = tests.filter((x) => x!.state === 'warned').length;
      const testText = tests.length ? `${tests.length - failedTests - warned} passed${warned ? `, <span class="warn">${warned} warned</span>` : ''}${failedTests ? `, <b class="bad">${failedTests} failed</b>` : ''}` : '–';
      return `<tr data-day="${esc(d.date)}"><td>${esc(d.date)}</td><td class="state">${state}</td><td class="num">${secs(d.durationSeconds)}</td><td class="num">${int(d.rows)}</td><td class="num">${d.execMs === null ? '–' : `${int(d.execMs)} ms`}</td><td class="num">${int(d.calls)}</td><td class="num">${int(d.sharedBlksRead)} / ${int(d.sharedBlksHit)}</td><td>${testText}</td>${freshnessCell(d)}</tr>`;
    })
    .join('');
  return `<section><h2>Day by day <span class="muted">· the newest run of each day</span></h2><table class="days"><thead><tr><th>day</th><th>state</th><th>duration</th><th>rows</th><th>PostgreSQL time</th><th>statements</th><th>blocks read / hit</th><th>tests</th><th>published (UTC)</th><th>after the day</th><th>promise</th><th>freshness</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function testGrid(h: ModelHistory): string {
  if (!h.tests.length) return '<section><h2>Tests per day</h2><p class="muted">No test of this model ran in this window.</p></section>';
  const dates = h.window.dates;
  const cell = (t: ModelTestHistory, i: number) => {
    const x = t.days[i];
    if (!x) return `<td class="q" title="${esc(`${t.name} ${dates[i]}: not run`)}"></td>`;
    const label = x.failures !== null ? int(x.failures) : x.state === 'passed' ? '✓' : x.state === 'skipped' ? '↷' : '✗';
    const title = `${t.name} ${dates[i]}: ${x.state}${x.failures !== null ? `, ${int(x.failures)} failing rows` : ''}`;
    return `<td class="q q-${x.state}" data-test="${esc(t.name)}" data-day="${esc(dates[i]!)}" title="${esc(title)}">${label}</td>`;
  };
  const head = dates.map((d) => `<th title="${esc(d)}">${esc(shortDate(d))}</th>`).join('');
  const rows = h.tests.map((t) => `<tr><td><code>${esc(t.name)}</code></td>${dates.map((_, i) => cell(t, i)).join('')}</tr>`).join('');
  return `<section><h2>Tests per day <span class="muted">· a number is the count of failing rows (warned or failed)</span></h2><table class="tests"><thead><tr><th>test</th>${head}</tr></thead><tbody>${rows}</tbody></table></section>`;
}

export function renderModelPage(h: ModelHistory): string {
  const reads = h.reads.length ? h.reads.map((r) => nameLink(r.name, r.type)).join(', ') : '<span class="muted">nothing</span>';
  const readBy = h.readBy.length ? h.readBy.map((n) => nameLink(n, 'model')).join(', ') : '<span class="muted">nothing in this window</span>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(h.name)} · ROAS pipeline dashboard</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body data-generated="${esc(h.generatedAt)}">
<header>
  <h1><a href="../">Marketing ROAS pipeline</a> · ${esc(h.type)} <code>${esc(h.name)}</code></h1>
  <span class="meta">${esc(h.window.start)} – ${esc(h.window.end)} · data of ${esc(h.generatedAt.slice(11, 19))} UTC</span>
  <form method="get" action="">
    <label>last day <input type="date" name="end" value="${esc(h.window.end)}"></label>
    <label>days <select name="days">${[7, 14, 30, 60, 90].map((n) => `<option${n === h.window.days ? ' selected' : ''}>${n}</option>`).join('')}</select></label>
    <button type="submit">show</button>
  </form>
</header>
<main>
<section id="facts"><h2>What it reads and writes</h2><table><tbody>
<tr><th>reads</th><td>${reads}</td></tr>
<tr><th>writes</th><td>${h.writes ? `<code>${esc(h.writes)}</code>` : '–'}</td></tr>
<tr><th>read by</th><td>${readBy}</td></tr>
</tbody></table></section>
${charts(h)}
<section><h2>Freshness against its promise</h2>${freshnessChart(h)}</section>
${testGrid(h)}
${dayTable(h)}
</main>
</body>
</html>
`;
}
