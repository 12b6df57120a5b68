// The page itself: one HTML document with its CSS inline and the sections rendered on the
// server, so it paints complete on the first response; a small script (served at
// dashboard.js, nothing fetched from elsewhere) polls api/dashboard every few seconds and swaps
// the sections whose HTML changed, so a running run moves without a reload.
import { createHash } from 'node:crypto';
import type { Dashboard } from './data';
import { renderSections, SECTIONS, type SectionId } from './render';
import { esc } from './svg';

export const REFRESH_MS = 5_000;

const TITLES: Record<SectionId, string> = {
  health: '',
  calendar: 'Last days: Flink, dbt run, daily ETL',
  live: 'Runs in progress',
  runs: '',
  slowest: '',
  quality: '',
  volume: '',
  business: '',
  alerts: '',
};

const CSS = `
:root { --ok:#2e8b57; --bad:#c0392b; --warn:#d98c1f; --run:#3b6ea5; --muted:#6b7480; --line:#e3e6ea; }
* { box-sizing: border-box; }
body { font: 14px/1.4 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2329; margin: 0; background: #f6f7f9; }
header { display: flex; align-items: baseline; gap: 1rem; padding: .6rem 1.2rem; background: #1d2329; color: #fff; flex-wrap: wrap; }
header h1 { font-size: 1.05rem; margin: 0; font-weight: 600; }
header .meta { color: #b9c0c8; font-size: .85rem; }
header form { margin-left: auto; display: flex; gap: .4rem; align-items: center; font-size: .85rem; color: #b9c0c8; }
header input, header select { font: inherit; padding: 1px 4px; }
#refresh-state.stale { color: #ffb4a8; }
main { max-width: 1440px; margin: 0 auto; padding: .8rem 1.2rem 2rem; display: grid; gap: .8rem; }
section.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .7rem .9rem; min-width: 0; }
section.panel > h2 { font-size: .95rem; margin: 0 0 .5rem; }
h3 { font-size: .92rem; margin: .2rem 0 .5rem; }
h4 { font-size: .88rem; margin: 0 0 .2rem; }
.muted { color: var(--muted); font-weight: normal; } .small { font-size: .8rem; }
.bad-text { color: var(--bad); } .warn-text { color: var(--warn); } .ok-text { color: var(--ok); }
.up { color: var(--ok); } .down { color: var(--bad); }
.two { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 1rem; align-items: start; }
.health { display: flex; flex-direction: column; gap: .2rem; }
.verdict { font-size: 1.05rem; display: flex; align-items: center; gap: .5rem; flex-wrap: wrap; }
.verdict .dot { width: .9rem; height: .9rem; border-radius: 50%; background: var(--ok); display: inline-block; }
.health.warn .dot { background: var(--warn); } .health.bad .dot { background: var(--bad); }
.reasons { margin: .2rem 0 0; padding-left: 1.6rem; columns: 2; font-size: .88rem; }
.kpis { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: .6rem; margin-top: .6rem; }
.kpi { border: 1px solid var(--line); border-radius: 6px; padding: .4rem .6rem; }
.kpi .label { color: var(--muted); font-size: .78rem; } .kpi .value { font-size: 1.25rem; font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; } .kpi .sub { font-size: .78rem; color: var(--muted); }
.calendar, .quality { display: grid; gap: 2px; align-items: stretch; }
.dayhead { font-size: .7rem; color: var(--muted); text-align: center; white-space: nowrap; overflow: hidden; }
.dayhead.month { color: #1d2329; font-weight: 600; text-align: left; overflow: visible; }
.rowlabel { font-size: .8rem; align-self: center; white-space: nowrap; }
.cell { position: relative; display: flex; align-items: center; justify-content: center; height: 30px; border-radius: 4px; text-decoration: none; color: #fff; font-size: .9rem; font-weight: 600; outline-offset: 1px; }
.cell:hover, .cell.selected { outline: 2px solid #1d2329; }
.s-succeeded { background: var(--ok); } .s-failed { background: var(--bad); } .s-running { background: var(--run); animation: pulse 1.6s ease-in-out infinite; }
.s-waiting { background: #8e7cc3; } .s-skipped { background: #8cc5a0; } .s-missing { background: #fff; color: var(--bad); border: 1px dashed var(--bad); }
.s-cancelled { background: #7f8c8d; } .s-not-due { background: #eef0f2; color: var(--muted); }
@keyframes pulse { 50% { opacity: .55; } }
.cell.sla-missed, .badge.sla-missed { box-shadow: inset 0 0 0 3px #ffcf33; }
.cell b { position: absolute; font-size: .62rem; line-height: 1; }
.cell .m-sla { bottom: 2px; left: 3px; font-size: .52rem; color: #ffe08a; letter-spacing: -.02em; } .cell .m-retry { bottom: 1px; right: 2px; } .cell .m-warn { top: 1px; left: 3px; color: #ffe08a; }
.s-missing b, .s-not-due b { color: var(--bad); }
.legend { display: flex; flex-wrap: wrap; gap: .3rem .9rem; font-size: .78rem; color: var(--muted); margin-top: .4rem; align-items: center; }
.legend .key { display: inline-flex; align-items: center; gap: .3rem; }
.legend .key i { display: inline-block; width: 12px; height: 10px; border-radius: 2px; }
.legend .key i.dash { height: 0; border-top: 2px dashed; width: 16px; border-radius: 0; }
.badge { display: inline-flex; width: 1.3rem; height: 1.3rem; border-radius: 3px; align-items: center; justify-content: center; color: #fff; font-size: .75rem; font-weight: 700; vertical-align: middle; }
.daydetails { margin-top: .6rem; }
.daydetail { display: none; border-top: 1px solid var(--line); padding-top: .5rem; }
.daydetail.default, .daydetail:target { display: block; }
.daydetails:has(.daydetail:target) .daydetail.default:not(:target) { display: none; }
.daydetails.chosen .daydetail { display: none; } .daydetails.chosen .daydetail.chosen { display: block; }
.daydetail h3 { display: flex; gap: 1rem; align-items: baseline; flex-wrap: wrap; }
.runblocks { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: .8rem; }
.runblock { border: 1px solid var(--line); border-radius: 6px; padding: .45rem .6rem; min-width: 0; }
.runblock .label { font-size: .85rem; } .runblock .facts { font-size: .78rem; color: var(--muted); margin-top: .2rem; }
.runblock .detail { margin: .3rem 0 0; padding-left: 1.1rem; font-size: .8rem; overflow-wrap: anywhere; }
.runblock .links { margin-top: .35rem; font-size: .8rem; display: flex; gap: .6rem; flex-wrap: wrap; align-items: baseline; }
.state-word { font-weight: normal; color: var(--muted); font-size: .8rem; }
code { font-size: .78rem; background: #f1f3f5; padding: 0 3px; border-radius: 3px; }
table { border-collapse: collapse; width: 100%; font-size: .83rem; }
th, td { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; font-size: .78rem; }
table.live td { white-space: nowrap; } table.live td.what { white-space: normal; }
table.live .bar { display: inline-block; width: 90px; height: 8px; background: #e8ecf0; border-radius: 4px; margin-right: .4rem; vertical-align: middle; }
table.live .bar i { display: block; height: 100%; background: var(--run); border-radius: 4px; transition: width .6s; }
table.slowest { table-layout: fixed; } table.slowest th:nth-child(n+2):nth-child(-n+4) { width: 62px; } table.slowest th:last-child { width: 128px; }
table.slowest td.name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
table.channels td:not(:first-child), table.days td:not(:first-child), table.slowest td:nth-child(n+2):nth-child(-n+4) { text-align: right; font-variant-numeric: tabular-nums; }
.sw { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: .35rem; }
figure.chart { margin: 0; } figure.chart svg { width: 100%; height: auto; display: block; }
svg .grid { stroke: #edf0f2; } svg .tick { font-size: 10px; fill: #6b7480; } svg .rule-label { font-size: 10px; font-weight: 600; }
.quality .qlabel { font-size: .78rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; align-self: center; }
.quality .kind { color: var(--muted); font-size: .7rem; }
.q { display: inline-block; height: 16px; border-radius: 2px; min-width: 10px; }
.quality .q { height: 18px; }
.q-pass { background: #b9e0c5; } .q-warn { background: var(--warn); } .q-fail { background: var(--bad); } .q-none { background: #f1f3f5; }
.legend .q { width: 12px; height: 10px; }
#alerts .scroll { max-height: 460px; overflow: auto; }
table.alerts td:nth-child(-n+4), table.alerts td.slack span:first-child { white-space: nowrap; }
table.alerts pre { white-space: pre-wrap; font-size: .76rem; margin: .3rem 0 0; max-height: 16rem; overflow: auto; }
table.alerts summary { cursor: pointer; }
.kind.k-failure { color: var(--bad); } .kind.k-sla_miss { color: var(--warn); } .kind.k-flink_gate_deadline { color: #8e44ad; }
details.daily { min-width: 0; overflow-x: auto; } details summary { cursor: pointer; }
#notice { display: none; background: #fdecea; color: var(--bad); padding: .5rem 1.2rem; }
@media (max-width: 1100px) { .two, .runblocks { grid-template-columns: minmax(0, 1fr); } .kpis { grid-template-columns: repeat(3, minmax(0, 1fr)); } .reasons { columns: 1; } }
`;

/** A short fingerprint of a section's HTML: the page swaps a section only when it changed. */
export function sectionHash(html: string): string {
  return createHash('sha1').update(html).digest('base64url').slice(0, 16);
}

export function renderPage(d: Dashboard, sections: Record<SectionId, string> = renderSections(d)): string {
  const panel = (id: SectionId) =>
    `<section class="panel" id="panel-${id}">${TITLES[id] ? `<h2>${esc(TITLES[id])}</h2>` : ''}<div id="${id}" data-hash="${sectionHash(sections[id])}">${sections[id]}</div></section>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ROAS pipeline dashboard</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body data-generated="${esc(d.generatedAt)}">
<header>
  <h1>Marketing ROAS pipeline</h1>
  <span class="meta">is it healthy, and is the data right? · <span id="refresh-state">data of ${esc(d.generatedAt.slice(11, 19))} UTC</span></span>
  <form method="get" action="">
    <label>last day <input type="date" name="end" value="${esc(d.window.end)}"></label>
    <label>days <select name="days">${[7, 14, 30, 60, 90].map((n) => `<option${n === d.window.days ? ' selected' : ''}>${n}</option>`).join('')}</select></label>
    <button type="submit">show</button>
    <a href="${esc(d.temporal.uiUrl)}" target="_blank" rel="noopener" style="color:#b9c0c8">Temporal Web UI</a>
  </form>
</header>
<div id="notice" role="alert"></div>
<main>
${SECTIONS.map(panel).join('\n')}
</main>
<script src="dashboard.js" data-refresh-ms="${REFRESH_MS}"></script>
</body>
</html>
`;
}

/**
 * The page's script. Plain ES2020 for any current browser: poll, swap changed sections, keep
 * the chosen day, say when the data is stale. No library, nothing from another origin.
 */
export const CLIENT_JS = `(function () {
  'use strict';
  var script = document.currentScript;
  var every = Number(script && script.getAttribute('data-refresh-ms')) || 5000;
  var chosen = null;
  var stateEl = document.getElementById('refresh-state');
  var notice = document.getElementById('notice');
  var failures = 0;

  function choose(day) {
    chosen = day;
    var box = document.querySelector('.daydetails');
    if (!box) return;
    box.classList.toggle('chosen', Boolean(day));
    box.querySelectorAll('.daydetail').forEach(function (el) { el.classList.toggle('chosen', el.getAttribute('data-day') === day); });
    document.querySelectorAll('.cell').forEach(function (el) { el.classList.toggle('selected', el.getAttribute('data-day') === day); });
  }

  document.addEventListener('click', function (e) {
    var a = e.target && e.target.closest ? e.target.closest('a.cell[data-day]') : null;
    if (!a) return;
    e.preventDefault();
    var day = a.getAttribute('data-day');
    choose(day);
    history.replaceState(null, '', location.pathname + location.search + '#d-' + day);
  });

  function refresh() {
    var have = [];
    document.querySelectorAll('[data-hash]').forEach(function (el) { have.push(el.getAttribute('data-hash')); });
    var params = new URLSearchParams(location.search);
    params.set('sections', 'changed');
    params.set('have', have.join(','));
    var url = 'api/dashboard?' + params.toString();
    var started = Date.now();
    fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) {
        if (!r.ok) return r.text().then(function (t) { throw new Error('HTTP ' + r.status + ': ' + t.slice(0, 300)); });
        return r.json();
      })
      .then(function (data) {
        failures = 0;
        Object.keys(data.html).forEach(function (id) {
          var el = document.getElementById(id);
          if (el && el.getAttribute('data-hash') !== data.hashes[id]) {
            el.innerHTML = data.html[id];
            el.setAttribute('data-hash', data.hashes[id]);
          }
        });
        if (chosen) choose(chosen);
        document.body.setAttribute('data-generated', data.generatedAt);
        stateEl.textContent = 'data of ' + data.generatedAt.slice(11, 19) + ' UTC, refreshed every ' + Math.round(every / 1000) + ' s (' + (Date.now() - started) + ' ms)';
        stateEl.className = '';
        notice.style.display = 'none';
      })
      .catch(function (err) {
        failures++;
        stateEl.textContent = 'refresh failed (' + failures + '×): showing data of ' + (document.body.getAttribute('data-generated') || '').slice(11, 19) + ' UTC';
        stateEl.className = 'stale';
        notice.textContent = String(err && err.message || err);
        notice.style.display = 'block';
      })
      .then(function () { setTimeout(refresh, every); });
  }

  var hash = location.hash.match(/^#d-(\\d{4}-\\d{2}-\\d{2})$/);
  if (hash) choose(hash[1]);
  setTimeout(refresh, every);
})();
`;
