// Schedules and backfill on the dev server (the time-skipping server has no schedules), with the
// project's worker and real dbt: a schedule fired for a past time processes the day before it;
// two overlapping backfills process each date exactly once.
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySchedules, scheduleId, SCHEDULES } from '../../src/client/schedules';
import type { Config } from '../../src/platform/config';
import { recordFlinkComplete } from '../../src/client/flink-complete';
import { loadDay } from '../../src/local/generator/load';
import { backfill } from '../../workflows';
import { workflowIds } from '../../src/core/signals';
import { keepHistory } from '../helpers/histories';
import { withRealWorker } from '../helpers/real-worker';
import { testConfig } from '../helpers/config';
import { useTestDatabase } from '../helpers/db';
import { connectDevServer, eventually, uniqueTaskQueue } from '../helpers/temporal';

describe('schedules and backfill on the dev server', () => {
  const db = useTestDatabase(import.meta.url);
  let temporal: Awaited<ReturnType<typeof connectDevServer>>;
  let config: Config;
  const idPrefix = `test-${randomBytes(3).toString('hex')}-`;
  const taskQueue = uniqueTaskQueue('schedules');

  beforeAll(async () => {
    temporal = await connectDevServer();
    config = testConfig({ DBT_ARTIFACTS_DIR: mkdtempSync(path.join(os.tmpdir(), 'roas-sched-')), ROAS_REPORTS_DIR: mkdtempSync(path.join(os.tmpdir(), 'roas-sched-reports-')) });
  });
  afterAll(async () => {
    for (const def of SCHEDULES) await temporal?.client.schedule.getHandle(scheduleId(def, { idPrefix })).delete().catch(() => {});
    await temporal?.close();
  });

  async function withWorker<T>(body: () => Promise<T>): Promise<T> {
    return withRealWorker({ config, connection: temporal.nativeConnection, databaseUrl: db.url, taskQueue }, body);
  }

  async function ledger(runDate: string) {
    const { rows } = await db.pool.query<{ status: string; trigger: string }>(
      "SELECT status, trigger FROM orchestrator.pipeline_runs WHERE pipeline = 'dbt_daily_run' AND run_date = $1 ORDER BY started_at",
      [runDate],
    );
    return rows;
  }

  it('apply creates both schedules, then updates them, and a paused schedule stays paused', async () => {
    const first = await applySchedules(temporal.client, config, { idPrefix, taskQueue });
    expect(first.map((s) => `${s.scheduleId}:${s.action}`)).toEqual([`${idPrefix}dbt-daily-run:created`, `${idPrefix}daily-etl:created`]);
    await temporal.client.schedule.getHandle(`${idPrefix}daily-etl`).pause('maintenance');
    const second = await applySchedules(temporal.client, config, { idPrefix, taskQueue });
    expect(second.map((s) => `${s.scheduleId}:${s.action}:${s.paused}`)).toEqual([`${idPrefix}dbt-daily-run:updated:false`, `${idPrefix}daily-etl:updated:true`]);
    const etl = await temporal.client.schedule.getHandle(`${idPrefix}daily-etl`).describe();
    expect(etl.state.paused).toBe(true);
    expect(etl.state.note).toBe('maintenance');
    const dbt = await temporal.client.schedule.getHandle(`${idPrefix}dbt-daily-run`).describe();
    expect(dbt.info.nextActionTimes[0]!.toISOString()).toMatch(/T00:00:00\.000Z$/);
    expect(dbt.policies.overlap).toBe(ScheduleOverlapPolicy.ALLOW_ALL);
  });

  it('a schedule fired for a past time processes the day before that time', async () => {
    const runDate = '2026-05-01';
    await loadDay(db.pool, { date: runDate, events: 10_000, seed: 21 });
    await recordFlinkComplete(db.pool, { runDate });
    await withWorker(async () => {
      // The 00:00 firing of May 2nd, taken now (as after an outage or a schedule backfill).
      await temporal.client.schedule.getHandle(`${idPrefix}dbt-daily-run`).backfill({
        start: new Date('2026-05-02T00:00:00Z'),
        end: new Date('2026-05-02T00:00:01Z'),
        overlap: ScheduleOverlapPolicy.ALLOW_ALL,
      });
      await eventually('the scheduled run of 2026-05-01 to succeed', async () => (await ledger(runDate)).some((r) => r.status === 'succeeded'), 120_000);
    });
    expect(await ledger(runDate)).toEqual([{ status: 'succeeded', trigger: 'schedule' }]);
    if (process.env.ROAS_RECORD_HISTORIES === '1') {
      for await (const w of temporal.client.workflow.list({ query: `WorkflowType = 'scheduledDbtDailyRun' AND WorkflowId STARTS_WITH 'scheduled-${idPrefix}'` })) {
        await keepHistory(temporal.client, w.workflowId, 'scheduled-dbt-daily-run-launcher');
      }
    }
  });

  it('a 3-day backfill started twice at once processes each date exactly once', async () => {
    const dates = ['2026-05-10', '2026-05-11', '2026-05-12'];
    for (const runDate of dates) {
      await loadDay(db.pool, { date: runDate, events: 10_000, seed: 22 });
      await recordFlinkComplete(db.pool, { runDate });
    }
    const results = await withWorker(async () => {
      const start = (n: number) =>
        temporal.client.workflow.execute(backfill, {
          taskQueue,
          workflowId: `${taskQueue}-backfill-${n}`,
          args: [{ pipeline: 'dbt', from: dates[0]!, to: dates[2]!, concurrency: 2, settings: { retry: { intervalMs: 1_000, maximumAttempts: 2 } } }],
        });
      return Promise.all([start(1), start(2)]);
    });
    for (const r of results) expect(r.map((d) => d.runDate)).toEqual(dates);
    for (const runDate of dates) {
      const statuses = results.map((r) => r.find((d) => d.runDate === runDate)!.status).sort();
      expect(statuses.filter((s) => s === 'succeeded'), runDate).toHaveLength(1);
      expect(statuses.every((s) => s !== 'failed'), runDate).toBe(true);
      // Exactly one run did the work; a backfill that came to the date after it finished left a
      // 'skipped' row saying so.
      const rows = await ledger(runDate);
      expect(rows.filter((r) => r.status !== 'skipped')).toEqual([{ status: 'succeeded', trigger: 'backfill' }]);
      expect(rows.length).toBeLessThanOrEqual(2);
    }
    await keepHistory(temporal.client, `${taskQueue}-backfill-1`, 'backfill-dbt-3-days');
    await keepHistory(temporal.client, workflowIds.dbtDailyRun(dates[0]!), 'dbt-daily-run-succeeded-from-backfill');
  });
});
