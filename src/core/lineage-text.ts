// `roas lineage` as text: a header per run, the sources, then each model and seed in dependency
// order with its state, duration, rows, cost, tests, what it reads and writes, and its publish.
import type { Cost, Lineage, LineageNode, LineageTest } from './lineage';

const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** Seconds as a short duration: 0.4s, 12.3s, 4m05s, 2h10m. */
export function shortDuration(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 60) return `${s.toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function costText(c: Cost): string {
  const parts: string[] = [];
  if (c.calls !== null) parts.push(`${int(c.calls)} statement${c.calls === 1 ? '' : 's'}`);
  if (c.execMs !== null) parts.push(`${c.execMs < 10 ? c.execMs.toFixed(1) : int(c.execMs)} ms in PostgreSQL`);
  if (c.sharedBlksRead !== null || c.sharedBlksHit !== null) parts.push(`blocks ${int(c.sharedBlksRead ?? 0)} read, ${int(c.sharedBlksHit ?? 0)} hit`);
  return parts.join(', ');
}

function testsText(tests: LineageTest[]): string {
  const count = (s: string) => tests.filter((t) => t.state === s).length;
  const detail = (t: LineageTest) => `${t.name}${t.failures !== null ? ` (${int(t.failures)} failing row${t.failures === 1 ? '' : 's'})` : ''}`;
  const parts = [`${count('passed')} passed`];
  const warned = tests.filter((t) => t.state === 'warned');
  const failed = tests.filter((t) => t.state === 'failed');
  parts.push(`${warned.length} warned${warned.length ? `: ${warned.map(detail).join(', ')}` : ''}`);
  parts.push(`${failed.length} failed${failed.length ? `: ${failed.map(detail).join(', ')}` : ''}`);
  if (count('skipped')) parts.push(`${count('skipped')} skipped`);
  return parts.join('; ');
}

function publishText(n: LineageNode): string | undefined {
  const p = n.publish;
  if (!p) return n.miss ? `not published: promise "${n.miss.promise}" missed (${n.miss.detail})` : undefined;
  const promise = p.promise
    ? `, promise "${p.promise}"${p.promiseSeconds !== null ? ` (${shortDuration(p.promiseSeconds)})` : ''}: ${p.met === null ? 'not judged' : p.met ? 'met' : 'MISSED'}`
    : ', no freshness promise';
  return `published ${p.publishedAt.slice(0, 16).replace('T', ' ')} UTC, ${shortDuration(p.freshnessSeconds)} after the day ended${promise}`;
}

export function nodeLines(n: LineageNode): string[] {
  const facts: string[] = [n.state === 'failed' ? 'FAILED' : n.state];
  if (n.durationSeconds !== null) facts.push(shortDuration(n.durationSeconds));
  if (n.rows !== null) facts.push(`${int(n.rows)} ${n.rows === 1 ? 'row' : 'rows'}`);
  if (n.attempts > 1) facts.push(`${n.attempts} attempts`);
  const lines = [`  ${n.type.padEnd(5)} ${n.name}: ${facts.join(', ')}`];
  if (n.message) lines.push(`        error: ${n.message.split('\n')[0]}`);
  if (n.cost) lines.push(`        cost: ${costText(n.cost)}`);
  if (n.reads.length || n.writes) lines.push(`        reads ${n.reads.length ? n.reads.join(', ') : 'nothing'}; writes ${n.writes ?? '–'}`);
  if (n.tests.length) lines.push(`        tests: ${testsText(n.tests)}`);
  const published = publishText(n);
  if (published) lines.push(`        ${published}`);
  return lines;
}

export function lineageLines(l: Lineage): string[] {
  const lines: string[] = [];
  for (const r of l.runs) {
    lines.push(`${l.date}  ${r.pipeline} ${r.status}, trigger ${r.trigger}, ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}  (workflow ${r.workflowId}, run ${r.runId})`);
  }
  lines.push('', 'sources');
  if (!l.sources.length) lines.push('  (none recorded)');
  for (const s of l.sources) lines.push(`  ${s.name}${s.readBy.length ? `  → ${s.readBy.join(', ')}` : ''}`);
  lines.push('', 'models and seeds, in dependency order');
  if (!l.nodes.length) lines.push('  (no model or seed recorded for this run: it ended before dbt ran, or ran before the per-model record existed)');
  for (const n of l.nodes) lines.push(...nodeLines(n));
  const count = (s: string) => l.nodes.filter((n) => n.state === s).length;
  lines.push('', `${l.nodes.length} models and seeds: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped, ${count('not run')} not run`);
  return lines;
}
