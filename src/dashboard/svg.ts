// Small SVG charts drawn on the server (no library, no script): bars and lines over the days of
// the window, a reference line (the SLA), a tooltip per mark (<title>), and sparklines.
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface Series {
  name: string;
  color: string;
  values: (number | null)[];
  kind: 'bar' | 'line';
  /** Per-point colour (bars), e.g. red where the SLA was missed. */
  colors?: (string | null)[];
  /** Per-point tooltip; defaults to "<series> <day>: <value>". */
  titles?: (string | null)[];
  dashed?: boolean;
  strokeWidth?: number;
}

export interface ChartOptions {
  /** Accessible name of the chart. */
  title: string;
  dates: string[];
  series: Series[];
  yFormat: (n: number) => string;
  /** Horizontal reference lines, e.g. the SLA. */
  rules?: { value: number; label: string; color: string }[];
  /** Bars of the series drawn on top of each other instead of side by side. */
  stacked?: boolean;
  minMax?: number;
  height?: number;
  /** Marks on the x axis for days that need one (e.g. "running"). */
  id?: string;
}

const W = 640;
const PAD = { left: 56, right: 12, top: 12, bottom: 26 };

/** A round step for about `n` ticks up to `max`. */
export function niceStep(max: number, n = 4): number {
  if (max <= 0) return 1;
  const raw = max / n;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const f = raw / pow;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * pow;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
export const shortDate = (d: string) => `${Number(d.slice(8, 10))} ${MONTHS[Number(d.slice(5, 7)) - 1]}`;

export function chart(o: ChartOptions): string {
  const H = o.height ?? 200;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const n = Math.max(1, o.dates.length);
  const slot = plotW / n;
  const bars = o.series.filter((s) => s.kind === 'bar');
  let max = o.minMax ?? 0;
  if (o.stacked) {
    for (let i = 0; i < n; i++) max = Math.max(max, bars.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
    // A line beside the bars (Flink's count) widens the scale only within reason: one absurd value
    // must not flatten every bar; it is drawn at the top edge and its title says it is off the scale.
    const barsMax = max;
    for (const s of o.series) if (s.kind === 'line') for (const v of s.values) if (v !== null && (barsMax === 0 || v <= barsMax * 2)) max = Math.max(max, v);
  } else {
    for (const s of o.series) for (const v of s.values) if (v !== null && Number.isFinite(v)) max = Math.max(max, v);
  }
  for (const r of o.rules ?? []) max = Math.max(max, r.value * 1.15);
  const step = niceStep(max || 1);
  const top = Math.max(step, Math.ceil((max || 1) / step) * step);
  const y = (v: number) => PAD.top + plotH - (Math.min(top, Math.max(0, v)) / top) * plotH;
  const x = (i: number) => PAD.left + i * slot;
  const parts: string[] = [];
  for (let v = 0; v <= top + 1e-9; v += step) {
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" class="tick">${esc(o.yFormat(v))}</text>`);
  }
  const every = Math.max(1, Math.ceil(n / 8));
  for (let i = 0; i < n; i++) {
    if ((n - 1 - i) % every !== 0) continue;
    parts.push(`<text x="${(x(i) + slot / 2).toFixed(1)}" y="${H - 8}" text-anchor="middle" class="tick">${esc(shortDate(o.dates[i]!))}</text>`);
  }
  const gap = Math.min(3, slot * 0.15);
  const barW = o.stacked ? slot - 2 * gap : (slot - 2 * gap) / Math.max(1, bars.length);
  for (let i = 0; i < n; i++) {
    let base = 0;
    for (const [k, s] of bars.entries()) {
      const v = s.values[i];
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      const x0 = o.stacked ? x(i) + gap : x(i) + gap + k * barW;
      const y0 = y(base + v);
      const h = Math.max(v > 0 ? 1 : 0, y(base) - y0);
      const title = s.titles?.[i] ?? `${s.name}, ${o.dates[i]}: ${o.yFormat(v)}`;
      parts.push(
        `<rect x="${x0.toFixed(1)}" y="${(y(base) - h).toFixed(1)}" width="${Math.max(0.5, barW).toFixed(1)}" height="${h.toFixed(1)}" fill="${s.colors?.[i] ?? s.color}" data-day="${o.dates[i]}"><title>${esc(title)}</title></rect>`,
      );
      if (o.stacked) base += v;
    }
  }
  for (const s of o.series.filter((x) => x.kind === 'line')) parts.push(...linePath(s, o, n, x, y, slot, top));
  for (const r of o.rules ?? []) {
    parts.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(r.value).toFixed(1)}" y2="${y(r.value).toFixed(1)}" stroke="${r.color}" stroke-width="1.5" stroke-dasharray="6 4" class="rule"/>`);
    parts.push(`<text x="${W - PAD.right - 4}" y="${(y(r.value) - 4).toFixed(1)}" text-anchor="end" class="rule-label" fill="${r.color}">${esc(r.label)}</text>`);
  }
  const legend = o.series
    .map((s) => `<span class="key"><i style="background:${s.color}${s.dashed ? ';opacity:.6' : ''}"></i>${esc(s.name)}</span>`)
    .concat((o.rules ?? []).map((r) => `<span class="key"><i class="dash" style="border-color:${r.color}"></i>${esc(r.label)}</span>`))
    .join('');
  return `<figure class="chart"${o.id ? ` id="${esc(o.id)}"` : ''}><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}" preserveAspectRatio="xMidYMid meet">${parts.join('')}</svg><figcaption class="legend">${legend}</figcaption></figure>`;
}

/** One line series: its path (broken where a value is missing) and a dot with a title per value. */
function linePath(s: ChartOptions['series'][number], o: ChartOptions, n: number, x: (i: number) => number, y: (v: number) => number, slot: number, top: number): string[] {
  let d = '';
  let pen = false;
  const dots: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = s.values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) {
      pen = false;
      continue;
    }
    const px = x(i) + slot / 2;
    d += `${pen ? 'L' : 'M'}${px.toFixed(1)} ${y(v).toFixed(1)}`;
    pen = true;
    const title = (s.titles?.[i] ?? `${s.name}, ${o.dates[i]}: ${o.yFormat(v)}`) + (v > top ? ' (off the scale)' : '');
    dots.push(`<circle cx="${px.toFixed(1)}" cy="${y(v).toFixed(1)}" r="${s.strokeWidth && s.strokeWidth > 2 ? 3 : 2}" fill="${s.color}"><title>${esc(title)}</title></circle>`);
  }
  const parts: string[] = [];
  if (d) {
    parts.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.strokeWidth ?? 1.5}"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`,
    );
  }
  return [...parts, ...dots];
}

/** A tiny line of the values (nulls break it), the last value dotted. */
export function sparkline(values: (number | null)[], color = '#3b6ea5', width = 120, height = 24): string {
  const xs = values.filter((v): v is number => v !== null);
  if (!xs.length) return `<svg class="spark" width="${width}" height="${height}"></svg>`;
  const max = Math.max(...xs) || 1;
  const step = values.length > 1 ? (width - 4) / (values.length - 1) : 0;
  let d = '';
  let pen = false;
  let last = '';
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    const px = 2 + i * step;
    const py = height - 3 - (v / max) * (height - 6);
    d += `${pen ? 'L' : 'M'}${px.toFixed(1)} ${py.toFixed(1)}`;
    pen = true;
    last = `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="2" fill="${color}"/>`;
  });
  return `<svg class="spark" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" aria-hidden="true"><path d="${d}" fill="none" stroke="${color}" stroke-width="1.3"/>${last}</svg>`;
}
