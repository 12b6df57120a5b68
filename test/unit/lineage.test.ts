// The lineage graph (src/core/lineage.ts) and its text (lineage-text.ts), from rows shaped as
// orchestrator.model_runs holds them for the real dbt project's nodes; and the model page's
// HTML (src/dashboard/model-page.ts): escaped, linked, its charts drawn.
import { describe, expect, it } from 'vitest';
import { buildLineage, dependencyOrder, shortName, type LineageRun, type ModelRunRow } from '../../src/core/lineage';
import { lineageLines, shortDuration } from '../../src/core/lineage-text';
import { renderModelPage } from '../../src/dashboard/model-page';
import type { ModelHistory } from '../../src/dashboard/sections/model';
import { dailyRunNodes, id, type NodeRow } from '../helpers/model-record';

const RUN: LineageRun = { pipeline: 'dbt_daily_run', workflowId: 'dbt-daily-run-2026-11-20', runId: 'r1', status: 'failed', trigger: 'schedule', startedAt: '2026-11-21T00:00:05Z', finishedAt: null, attempts: 1 };

const rowsOf = (nodes: NodeRow[], attempt = 1): ModelRunRow[] =>
  nodes.map((n, i) => ({
    pipeline: 'dbt_daily_run',
    step: 'build',
    attempt,
    uniqueId: n.unique_id,
    name: n.unique_id.split('.').pop()!,
    resourceType: n.resource_type,
    status: n.status,
    durationSeconds: n.duration_seconds,
    rowsAffected: n.rows_affected ?? null,
    failures: n.failures ?? null,
    message: n.message ?? null,
    attachedTo: n.attached_to ?? null,
    dependsOn: n.depends_on ?? [],
    relation: n.relation ?? null,
    calls: n.calls ?? null,
    execMs: n.exec_ms ?? null,
    sharedBlksRead: n.shared_blks_read ?? null,
    sharedBlksHit: n.shared_blks_hit ?? null,
    recordedAt: `2026-11-21T00:0${attempt}:${String(i).padStart(2, '0')}Z`,
  }));

describe('the lineage graph', () => {
  it('names unique_ids as people read them', () => {
    expect(shortName(id.stg)).toBe('stg_ad_events');
    expect(shortName(id.events)).toBe('realtime.ad_events');
    expect(shortName('function.marketing_roas.roas')).toBe('roas()');
    expect(shortName('odd')).toBe('odd');
  });

  it('orders nodes so that everything a node reads comes first, ties by name, and survives a cycle', () => {
    const deps: Record<string, string[]> = { c: ['b'], b: ['a'], a: [], d: ['a'], x: ['y'], y: ['x'] };
    const order = dependencyOrder(Object.keys(deps), (n) => deps[n]!);
    expect(order.slice(0, 4)).toEqual(['a', 'b', 'd', 'c']);
    expect(order.slice(4)).toEqual(['x', 'y']);
  });

  it('a failed run: the failed test with its failing rows, the skipped model, a model no attempt ran, sources and their readers', () => {
    const nodes = dailyRunNodes({
      stg_ad_events_amounts_not_negative: { status: 'fail', failures: 37, message: 'Got 37 results' },
      int_hourly_agg: { status: 'skipped', rows_affected: null, calls: null, exec_ms: null, shared_blks_read: null, shared_blks_hit: null },
    }).filter((n) => n.unique_id !== id.fct && n.attached_to !== id.fct);
    // A report model reading fct_daily_metrics, which this run never reached.
    nodes.push({ unique_id: id.rptTotals, resource_type: 'model', status: 'skipped', duration_seconds: 0, depends_on: [id.fct] });
    const l = buildLineage('2026-11-20', [RUN], rowsOf(nodes));
    expect(l.sources).toEqual([
      { uniqueId: id.events, name: 'realtime.ad_events', readBy: ['stg_ad_events'] },
      { uniqueId: id.batches, name: 'realtime.flink_batches', readBy: ['stg_ad_events_row_checks'] },
    ]);
    const names = l.nodes.map((n) => n.name);
    expect(names.indexOf('fct_daily_metrics')).toBeLessThan(names.indexOf('rpt_daily_totals'));
    expect(names.indexOf('stg_ad_events')).toBeLessThan(names.indexOf('int_hourly_agg'));
    const by = Object.fromEntries(l.nodes.map((n) => [n.name, n]));
    expect(by.fct_daily_metrics).toMatchObject({ state: 'not run', attempts: 0, durationSeconds: null, tests: [] });
    expect(by.int_hourly_agg).toMatchObject({ state: 'skipped', cost: null });
    expect(by.stg_ad_events!.tests.find((t) => t.state === 'failed')).toEqual({ name: 'stg_ad_events_amounts_not_negative', state: 'failed', failures: 37 });
    expect(by.stg_ad_events!.cost).toEqual({ calls: 4, execMs: 1912.5, sharedBlksRead: 2210, sharedBlksHit: 30411 });
    const text = lineageLines(l).join('\n');
    expect(text).toContain('dbt_daily_run failed, trigger schedule, 1 attempt  (workflow dbt-daily-run-2026-11-20, run r1)');
    expect(text).toContain('tests: 2 passed; 0 warned; 1 failed: stg_ad_events_amounts_not_negative (37 failing rows)');
    expect(text).toContain('  model fct_daily_metrics: not run');
    expect(text).toContain('  model int_hourly_agg: skipped, 1.3s\n');
    expect(text).toContain('8 models and seeds: 5 passed, 0 failed, 2 skipped, 1 not run');
  });

  it('a retried node: the last attempt stands, the attempts are counted, a failed model shows its error', () => {
    const first = rowsOf(dailyRunNodes({ stg_ad_events: { status: 'error', message: 'could not serialize access\nDETAIL: …' } }), 1);
    const l1 = buildLineage('2026-11-20', [RUN], first);
    const stg1 = l1.nodes.find((n) => n.name === 'stg_ad_events')!;
    expect(stg1).toMatchObject({ state: 'failed', message: 'could not serialize access\nDETAIL: …' });
    expect(lineageLines(l1).join('\n')).toContain('  model stg_ad_events: FAILED, 2.8s, 200,000 rows\n        error: could not serialize access\n');
    const l2 = buildLineage('2026-11-20', [RUN], [...first, ...rowsOf(dailyRunNodes(), 2)]);
    expect(l2.nodes.find((n) => n.name === 'stg_ad_events')).toMatchObject({ state: 'passed', attempts: 2, message: null });
  });

  it('the publish against its promise, a missed promise without a publish, and no record at all', () => {
    const publishes = [
      { model: 'fct_daily_metrics', publishedAt: '2026-11-21T00:40:00.000Z', workflowId: 'w', freshnessSeconds: 2400, promise: 'by 02:00 UTC', promiseSeconds: 7200, met: true },
      { model: 'fct_daily_metrics', publishedAt: '2026-11-21T00:20:00.000Z', workflowId: 'w', freshnessSeconds: 1200, promise: 'by 02:00 UTC', promiseSeconds: 7200, met: true },
    ];
    const misses = [{ model: 'int_hourly_agg', promise: 'by 01:00 UTC', kind: 'missing' as const, detail: 'not published by 01:00 UTC' }];
    const l = buildLineage('2026-11-20', [RUN], rowsOf(dailyRunNodes()), publishes, misses);
    const text = lineageLines(l).join('\n');
    expect(text).toContain('published 2026-11-21 00:40 UTC, 40m00s after the day ended, promise "by 02:00 UTC" (2h00m): met');
    expect(text).toContain('not published: promise "by 01:00 UTC" missed (not published by 01:00 UTC)');
    expect(lineageLines(buildLineage('2026-11-20', [RUN], [])).join('\n')).toContain('no model or seed recorded for this run');
    expect([shortDuration(0.44), shortDuration(245), shortDuration(7800)]).toEqual(['0.4s', '4m05s', '2h10m']);
  });
});

describe('the model page', () => {
  const dates = ['2026-11-18', '2026-11-19', '2026-11-20'];
  const day = (date: string, over: Partial<ModelHistory['days'][number]> = {}): ModelHistory['days'][number] => ({
    date, state: 'passed', status: 'success', durationSeconds: 1.5, rows: 12, calls: 3, execMs: 21.4, sharedBlksRead: 0, sharedBlksHit: 310, workflowId: 'w', runId: 'r', message: null, publish: null, miss: null, ...over,
  });
  const hostile = '<script>alert(1)</script>';
  const history: ModelHistory = {
    name: 'fct_daily_metrics',
    uniqueId: id.fct,
    type: 'model',
    reads: [{ name: 'int_hourly_agg', type: 'model' }, { name: 'realtime.ad_events', type: 'source' }],
    writes: `analytics_audit.${hostile}`,
    readBy: ['rpt_daily_totals'],
    window: { start: dates[0]!, end: dates[2]!, days: 3, dates },
    days: [
      day(dates[0]!, { publish: { publishedAt: '2026-11-19T00:40:00.000Z', freshnessSeconds: 2400, promise: 'by 02:00 UTC', promiseSeconds: 7200, met: true } }),
      day(dates[1]!, { state: 'failed', status: 'error', message: hostile, miss: { kind: 'missing', promise: 'by 02:00 UTC', detail: `not published ${hostile}` } }),
      day(dates[2]!, { publish: { publishedAt: '2026-11-21T03:00:00.000Z', freshnessSeconds: 10800, promise: 'by 02:00 UTC', promiseSeconds: 7200, met: false } }),
    ],
    tests: [{ name: 'fct_daily_metrics_spend_spike', days: [{ state: 'passed', failures: null }, null, { state: 'warned', failures: 2 }] }],
    generatedAt: '2026-11-21T10:00:00.000Z',
  };

  it('escapes every value, links what it reads to their pages, and draws its charts', () => {
    const html = renderModelPage(history);
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('<a href="int_hourly_agg"><code>int_hourly_agg</code></a>');
    expect(html).toContain('<code>realtime.ad_events</code>');
    expect(html).not.toContain('href="realtime.ad_events"');
    expect(html).toContain('<a href="rpt_daily_totals">');
    expect(html).toContain('<a href="../">');
    for (const chartId of ['chart-duration', 'chart-cost', 'chart-freshness']) expect(html).toContain(`id="${chartId}"`);
    expect(html).toContain('promise: by 02:00 UTC');
    expect(html).toMatch(/data-test="fct_daily_metrics_spend_spike" data-day="2026-11-20" title="fct_daily_metrics_spend_spike 2026-11-20: warned, 2 failing rows">2</);
    expect(html).toMatch(/<tr data-day="2026-11-20">.*<b class="bad">missed<\/b>/);
  });

  it('says so when no cost was recorded and nothing was published', () => {
    const bare = { ...history, days: history.days.map((d) => ({ ...d, execMs: null, calls: null, publish: null, miss: null })), tests: [] };
    const html = renderModelPage(bare);
    expect(html).toContain('No cost recorded in this window');
    expect(html).toContain('Not published in this window');
    expect(html).toContain('No test of this model ran in this window');
  });
});

describe("the dashboard's slowest-models table", () => {
  it('links each model and seed to its page, and no test', async () => {
    const { renderSlowest } = await import('../../src/dashboard/render');
    const timing = (name: string, type: string) => ({ name, type, pipeline: 'dbt_daily_run' as const, seconds: [1, 2], latest: 2, median: 1.5, max: 2 });
    const html = renderSlowest({
      window: { start: '2026-11-19', end: '2026-11-20', days: 2, dates: ['2026-11-19', '2026-11-20'] },
      slowest: { models: [timing('fct_daily_metrics', 'model'), timing('campaigns', 'seed')], tests: [timing('stg_ad_events_not_empty', 'test')], daysWithResults: 2 },
    });
    expect(html).toContain('<a href="models/fct_daily_metrics"><code>fct_daily_metrics</code></a>');
    expect(html).toContain('<a href="models/campaigns"><code>campaigns</code></a>');
    expect(html).toContain('<code>stg_ad_events_not_empty</code>');
    expect(html).not.toContain('models/stg_ad_events_not_empty');
  });
});

describe('the model pages’ bounds', () => {
  it('a name dbt could not have is refused before anything is read; beyond three pages at once, 429', async () => {
    const { modelRoutes, modelNameOf } = await import('../../src/dashboard/model-routes');
    for (const bad of ['%3Cb%3E', '..', 'a%2Fb', '%E0%A4%A', '9lives', 'a'.repeat(128), 'stg-ad-events', '']) expect(modelNameOf(bad), bad).toBeUndefined();
    expect(modelNameOf('fct_daily_metrics')).toBe('fct_daily_metrics');
    expect(modelNameOf('_private_2')).toBe('_private_2');
    // A database that holds every connection until released: three pages wait on it, the fourth is turned away.
    let release: (err: Error) => void = () => {};
    const held = new Promise<never>((_, reject) => (release = reject));
    let connects = 0;
    const pool = { connect: () => (connects++, held) } as never;
    const sent: number[] = [];
    const send = (_res: unknown, status: number) => void sent.push(status);
    const [route] = modelRoutes({ pool, now: () => new Date('2026-11-21T12:00:00Z') } as never, send);
    const serve = (path: string) => Promise.resolve(route!.serve({} as never, {} as never, new URL(path, 'http://x'), route!.match.exec(path)!));
    expect(await serve('/models/%3Cscript%3E').then(() => sent.pop())).toBe(400);
    expect(connects).toBe(0);
    const waiting = [1, 2, 3].map(() => serve('/models/fct_daily_metrics').catch((e: Error) => e.message));
    await serve('/models/fct_daily_metrics');
    expect(sent).toEqual([429]);
    release(new Error('the database went away'));
    expect(await Promise.all(waiting)).toEqual(['the database went away', 'the database went away', 'the database went away']);
    // Served again once the others are done.
    const again = serve('/models/fct_daily_metrics').catch((e: Error) => e.message);
    expect(await again).toBe('the database went away');
    expect(connects).toBe(4);
  });
});
