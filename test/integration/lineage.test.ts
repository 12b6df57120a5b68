// OpenLineage on the real stack: the project's worker with real dbt and PostgreSQL sends its
// events to a local collector; each is checked against the published JSON schemas. A collector
// that is down or never answers costs events, never a run.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDbtDailyRun } from '../../src/client/runs';
import { recordFlinkComplete } from '../../src/client/flink-complete';
import { loadDay } from '../../src/local/generator/load';
import type { Config } from '../../src/platform/config';
import { createPipelineMetrics, type PipelineMetrics } from '../../src/platform/metrics';
import { ephemeralPort } from '../../src/local/stack/ports';
import { restate } from '../../workflows';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import { lineageProblems, startCollector, type Collector, type ReceivedEvent } from '../helpers/openlineage';
import { withRealWorker } from '../helpers/real-worker';
import { connectDevServer, gateWaiting, uniqueTaskQueue } from '../helpers/temporal';

type Event = ReceivedEvent;

describe('OpenLineage events on the real stack', () => {
  const db = useTestDatabase(import.meta.url);
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  let collector: Collector;
  let config: Config;
  const metrics = createPipelineMetrics();
  const taskQueue = uniqueTaskQueue('lineage');
  const artifactsDir = mkdtempSync(path.join(os.tmpdir(), 'roas-lineage-'));

  beforeAll(async () => {
    temporal = await connectDevServer();
    collector = await startCollector();
    config = testConfig({ DBT_ARTIFACTS_DIR: artifactsDir, OPENLINEAGE_URL: collector.url, OPENLINEAGE_NAMESPACE: 'roas-test', ROAS_RETRY_INTERVAL: '2s' });
  });
  afterAll(async () => {
    await temporal?.close();
    await collector?.close();
  });

  const withWorker = <T>(body: () => Promise<T>, cfg = config, m: PipelineMetrics = metrics) =>
    withRealWorker({ config: cfg, connection: temporal.nativeConnection, databaseUrl: db.url, taskQueue, metrics: m }, body);

  const dbUrl = () => new URL(db.url);
  const datasetNamespace = () => `postgres://${dbUrl().hostname}:${dbUrl().port}`;
  const dataset = (schema: string, table: string) => ({ namespace: datasetNamespace(), name: `${dbUrl().pathname.slice(1)}.${schema}.${table}` });

  /** The events of one Temporal run: its own and those of its steps (parent = that run). */
  const eventsOf = (runId: string) => collector.events().filter((e) => e.run.runId === runId || e.run.facets.parent?.run.runId === runId);
  const jobEvents = (events: Event[], job: string) => events.filter((e) => e.job.name === job).map((e) => e.eventType);
  const completeOf = (events: Event[], job: string) => events.find((e) => e.job.name === job && e.eventType !== 'START');

  function expectAllValid(events: Event[]) {
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(lineageProblems(e), `${e.job.name} ${e.eventType}`).toEqual([]);
  }

  async function loadAndComplete(runDate: string, opts: { seed: number; defects?: 'negative-cost'[] }) {
    await loadDay(db.pool, { date: runDate, events: 5_000, seed: opts.seed, ...(opts.defects ? { defects: opts.defects } : {}) });
    await recordFlinkComplete(db.pool, { runDate });
  }

  const SUCCEEDED = '2026-08-10';

  it('a run that succeeds: the pipeline, each dbt node and the publish step, linked to the Temporal run', async () => {
    await loadAndComplete(SUCCEEDED, { seed: 11 });
    const { runId, result } = await withWorker(async () => {
      const handle = await startDbtDailyRun(temporal.client, config, SUCCEEDED, { taskQueue, trigger: 'manual' });
      return { runId: (await handle.describe()).runId, result: await handle.result() };
    });
    expect(result.status).toBe('succeeded');
    const events = eventsOf(runId);
    expectAllValid(events);

    // The pipeline run: START then COMPLETE, its run ID the Temporal run's, with the day and the trigger.
    expect(jobEvents(events, 'dbt_daily_run')).toEqual(['START', 'COMPLETE']);
    const start = events.find((e) => e.job.name === 'dbt_daily_run')!;
    expect(start.job.namespace).toBe('roas-test');
    expect(start.run.facets.nominalTime).toMatchObject({ nominalStartTime: `${SUCCEEDED}T00:00:00.000Z`, nominalEndTime: '2026-08-11T00:00:00.000Z' });
    expect(start.run.facets.roas_run).toMatchObject({ trigger: 'manual', workflowId: `dbt-daily-run-${SUCCEEDED}` });

    // Each model and seed that ran: a START and a COMPLETE sharing one run ID, under the pipeline's run.
    for (const node of ['campaigns', 'fx_rates', 'stg_ad_events', 'stg_ad_events_by_campaign', 'stg_ad_events_row_checks', 'int_hourly_agg', 'fct_daily_metrics', 'fct_daily_metrics_restatement']) {
      const pair = events.filter((e) => e.job.name === `dbt_daily_run.${node}`);
      expect(pair.map((e) => e.eventType), node).toEqual(['START', 'COMPLETE']);
      expect(pair[0]!.run.runId).toBe(pair[1]!.run.runId);
      expect(pair[0]!.run.runId).not.toBe(runId);
      expect(pair[1]!.run.facets.parent).toMatchObject({ run: { runId }, job: { namespace: 'roas-test', name: 'dbt_daily_run' } });
      expect(Date.parse(pair[0]!.eventTime)).toBeLessThanOrEqual(Date.parse(pair[1]!.eventTime));
    }
    // No job per test: tests are folded into the assertions of what they read.
    expect(events.filter((e) => /not_null|unique|accepted_values/.test(e.job.name))).toEqual([]);

    const fct = completeOf(events, 'dbt_daily_run.fct_daily_metrics')!;
    expect(fct.job.facets.sql?.query).toMatch(/select/i);
    expect(fct.inputs).toEqual(expect.arrayContaining([dataset('analytics_audit', 'int_hourly_agg'), dataset('analytics', 'campaigns')]));
    expect(fct.outputs).toHaveLength(1);
    expect(fct.outputs[0]).toMatchObject(dataset('analytics_audit', 'fct_daily_metrics'));
    expect(fct.outputs[0]!.facets?.schema?.fields.map((f) => f.name)).toEqual(expect.arrayContaining(['metric_date', 'campaign_id', 'roas']));
    const assertions = fct.outputs[0]!.facets?.dataQualityAssertions?.assertions ?? [];
    expect(assertions).toEqual(expect.arrayContaining([{ assertion: 'not_null', name: 'not_null_fct_daily_metrics_metric_date', success: true, column: 'metric_date', severity: 'error' }]));
    expect(assertions.every((a) => a.success)).toBe(true);
    expect(completeOf(events, 'dbt_daily_run.stg_ad_events')!.inputs).toEqual(expect.arrayContaining([dataset('realtime', 'ad_events'), dataset('analytics', 'fx_rates')]));
    // Never the login or its password in a dataset's name.
    expect(JSON.stringify(events.flatMap((e) => [...e.inputs, ...e.outputs]))).not.toContain('@');

    // The publish step: audited tables in, published tables out, the day as its nominal time.
    expect(jobEvents(events, 'dbt_daily_run.publish')).toEqual(['START', 'COMPLETE']);
    const publish = completeOf(events, 'dbt_daily_run.publish')!;
    expect(publish.run.facets.parent?.run.runId).toBe(runId);
    expect(publish.run.facets.roas_publish?.runDate).toBe(SUCCEEDED);
    expect(publish.run.facets.nominalTime?.nominalStartTime).toBe(`${SUCCEEDED}T00:00:00.000Z`);
    expect(publish.outputs).toEqual(expect.arrayContaining([dataset('analytics', 'fct_daily_metrics'), dataset('analytics', 'stg_ad_events')]));
    expect(publish.inputs).toEqual(expect.arrayContaining([dataset('analytics_audit', 'fct_daily_metrics')]));

    const text = await metrics.registry.metrics();
    expect(Number(/roas_lineage_events_sent_total (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(events.length);
  });

  it('a run failing a dbt test: FAIL with its error, the failed assertion on what the test read, nothing published', async () => {
    const runDate = '2026-08-11';
    await loadAndComplete(runDate, { seed: 12, defects: ['negative-cost'] });
    const { runId, error } = await withWorker(async () => {
      const handle = await startDbtDailyRun(temporal.client, config, runDate, { taskQueue });
      return { runId: (await handle.describe()).runId, error: await handle.result().catch((e: unknown) => e) };
    });
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const events = eventsOf(runId);
    expectAllValid(events);
    expect(jobEvents(events, 'dbt_daily_run')).toEqual(['START', 'FAIL']);
    expect(completeOf(events, 'dbt_daily_run')!.run.facets.errorMessage?.message).toContain('stg_ad_events_amounts_not_negative');
    const checks = completeOf(events, 'dbt_daily_run.stg_ad_events_row_checks')!;
    expect(checks.eventType).toBe('COMPLETE');
    expect(checks.outputs[0]!.facets?.dataQualityAssertions?.assertions).toEqual(
      expect.arrayContaining([{ assertion: 'stg_ad_events_amounts_not_negative', name: 'stg_ad_events_amounts_not_negative', success: false, severity: 'error' }]),
    );
    expect(jobEvents(events, 'dbt_daily_run.publish')).toEqual([]);
  });

  it('a cancelled run ends with ABORT', async () => {
    const runDate = '2026-08-12';
    const { runId, error } = await withWorker(async () => {
      const handle = await startDbtDailyRun(temporal.client, config, runDate, { taskQueue });
      await gateWaiting(temporal.client, runDate);
      await handle.cancel();
      return { runId: (await handle.describe()).runId, error: await handle.result().catch((e: unknown) => e) };
    });
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const events = eventsOf(runId);
    expectAllValid(events);
    expect(jobEvents(events, 'dbt_daily_run')).toEqual(['START', 'ABORT']);
  });

  it('a restated day sends the same events, with the trigger restatement', async () => {
    await db.pool.query(
      `INSERT INTO realtime.ad_events (event_id, event_type, event_time, campaign_id, ad_group_id, channel, device, cost_micros, revenue_micros, currency, ingested_at)
       SELECT 'late-lineage-' || g, 'conversion', $1::date + interval '12 hours', 'cmp_001', 'cmp_001_ag1', 'google', 'mobile', 0, 2000000000, 'USD', clock_timestamp()
       FROM generate_series(1, 3) g`,
      [SUCCEEDED],
    );
    const restated = await withWorker(() => temporal.client.workflow.execute(restate, { taskQueue, workflowId: `${taskQueue}-restate`, args: [{ from: SUCCEEDED, to: SUCCEEDED }] }));
    expect(restated.days.map((d) => d.status)).toEqual(['restated']);
    const start = collector.events().find((e) => e.job.name === 'dbt_daily_run' && e.eventType === 'START' && e.run.facets.roas_run?.trigger === 'restatement');
    expect(start?.run.facets.roas_run?.runDate).toBe(SUCCEEDED);
    const events = eventsOf(start!.run.runId);
    expectAllValid(events);
    expect(jobEvents(events, 'dbt_daily_run')).toEqual(['START', 'COMPLETE']);
    expect(completeOf(events, 'dbt_daily_run')!.run.facets.roas_run?.trigger).toBe('restatement');
    expect(jobEvents(events, 'dbt_daily_run.fct_daily_metrics')).toEqual(['START', 'COMPLETE']);
    expect(jobEvents(events, 'dbt_daily_run.publish')).toEqual(['START', 'COMPLETE']);
  });

  for (const kind of ['down', 'hanging'] as const) {
    it(`a collector that is ${kind}: the run succeeds and the dropped events show in the metrics`, async () => {
      const runDate = kind === 'down' ? '2026-08-13' : '2026-08-14';
      await loadAndComplete(runDate, { seed: 13 });
      const hanging = kind === 'hanging' ? await startCollector({ hang: true }) : undefined;
      // Down: a port nothing listens on.
      const url = hanging?.url ?? `http://127.0.0.1:${await ephemeralPort()}`;
      const own = createPipelineMetrics();
      const cfg = testConfig({ DBT_ARTIFACTS_DIR: artifactsDir, OPENLINEAGE_URL: url, ROAS_RETRY_INTERVAL: '2s' });
      try {
        const result = await withWorker(async () => (await startDbtDailyRun(temporal.client, cfg, runDate, { taskQueue })).result(), cfg, own);
        expect(result.status).toBe('succeeded');
      } finally {
        await hanging?.close();
      }
      const text = await own.registry.metrics();
      const dropped = [...text.matchAll(/roas_lineage_events_dropped_total\{reason="(\w+)"\} (\d+)/g)].reduce((n, m) => n + Number(m[2]), 0);
      expect(dropped).toBeGreaterThanOrEqual(20);
      expect(text).toMatch(/roas_lineage_events_sent_total 0/);
      if (kind === 'down') expect(text).toMatch(/roas_lineage_events_dropped_total\{reason="send_failed"\} [1-9]/);
    });
  }
});
