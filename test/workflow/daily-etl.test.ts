// dailyEtl on the time-skipping server: it waits for the date's dbt run through its business ID
// and fails with a clear alert when that run failed, never ran, or runs too long.
import { WorkflowFailedError } from '@temporalio/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { signalFlinkGate } from '../../src/client/flink-complete';
import { dailyEtl, dbtDailyRun } from '../../workflows';
import { progressQuery, workflowIds } from '../../src/core/signals';
import type { DailyEtlInput, DbtDailyRunInput } from '../../src/core/types';
import { loadSeedsDirectly } from '../helpers/db';
import { MODELS, TESTS, type Scenario } from '../helpers/fake-dbt';
import { UI, usePipelineHarness } from '../helpers/pipeline-harness';
import { eventually, gateWaiting } from '../helpers/temporal';

const MINUTE = 60_000;

describe('dailyEtl waiting for the dbt run (time-skipping server)', () => {
  const h = usePipelineHarness(import.meta.url);
  beforeAll(() => loadSeedsDirectly(h.db.pool));

  const startDbt = (taskQueue: string, input: DbtDailyRunInput) =>
    h.env.client.workflow.start(dbtDailyRun, {
      taskQueue,
      workflowId: workflowIds.dbtDailyRun(input.runDate),
      args: [{ webUiUrl: UI, namespace: 'default', slaMs: 24 * 60 * MINUTE, ...input }],
    });
  const startEtl = (taskQueue: string, input: DailyEtlInput) =>
    h.env.client.workflow.start(dailyEtl, {
      taskQueue,
      workflowId: workflowIds.dailyEtl(input.runDate),
      args: [{ webUiUrl: UI, namespace: 'default', ...input }],
    });
  const failureType = (e: unknown) => ((e as WorkflowFailedError).cause as { type?: string } | undefined)?.type;

  const succeed: Scenario = () => ({ exitCode: 0, nodes: [...MODELS, ...TESTS] });

  it('waits while the dbt run is still running and goes on as soon as it succeeds', async () => {
    const runDate = '2026-07-01';
    const { result, dbt } = await h.withWorker(succeed, async (tq) => {
      const run = await startDbt(tq, { runDate });
      const etl = await startEtl(tq, { runDate });
      await eventually('the ETL to wait for the dbt run', async () => (await etl.query(progressQuery)).step === 'waiting-for-dbt-run');
      await gateWaiting(h.env.client, runDate);
      // Flink completes, the dbt run finishes and wakes the ETL.
      await h.flinkDone(runDate);
      await signalFlinkGate(h.env.client, runDate);
      expect((await run.result()).status).toBe('succeeded');
      return etl.result().catch((e: unknown) => e);
    });
    // It went on to validate_source_data, which stops it: the test database has no events for the day.
    expect(result).toBeInstanceOf(WorkflowFailedError);
    expect(failureType(result)).toBe('SourceValidationFailed');
    expect(dbt.invocations.filter((i) => i.select?.includes('tag:daily_etl'))).toHaveLength(0);
    const etlAlerts = (await h.alertsFor(runDate)).filter((a) => a.pipeline === 'daily_etl');
    expect(etlAlerts).toHaveLength(1);
    expect(etlAlerts[0]!.text).toContain('dbt was not run. Failed checks:');
    expect(etlAlerts[0]!.text).toContain('row_count: no events at all for the date');
  });

  it('fails with one alert when the dbt run of the date failed', async () => {
    const runDate = '2026-07-02';
    await h.flinkDone(runDate);
    const { result } = await h.withWorker(
      () => ({ exitCode: 2, raw: 'Compilation Error in model stg_ad_events' }),
      async (tq) => {
        await (await startDbt(tq, { runDate })).result().catch(() => undefined);
        return (await startEtl(tq, { runDate })).result().catch((e: unknown) => e);
      },
    );
    expect(failureType(result)).toBe('DbtRunFailed');
    const etlAlerts = (await h.alertsFor(runDate)).filter((a) => a.pipeline === 'daily_etl');
    expect(etlAlerts).toHaveLength(1);
    expect(etlAlerts[0]!.text).toContain(`Daily ETL failed for ${runDate} at waiting-for-dbt-run`);
    expect(etlAlerts[0]!.text).toContain('did not succeed');
  });

  it('fails with one alert when no dbt run exists for the date', async () => {
    const runDate = '2026-07-03';
    const { result } = await h.withWorker(succeed, async (tq) => (await startEtl(tq, { runDate })).result().catch((e: unknown) => e));
    expect(failureType(result)).toBe('DbtRunMissing');
    const alerts = await h.alertsFor(runDate);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.text).toContain(`roas run dbt --date ${runDate}`);
  });

  it('gives up with an alert when the dbt run is still running at the deadline', async () => {
    const runDate = '2026-07-04';
    const { result } = await h.withWorker(succeed, async (tq) => {
      await startDbt(tq, { runDate, flinkGate: { deadlineMs: 48 * 60 * MINUTE, recheckMs: 60 * MINUTE } });
      return (await startEtl(tq, { runDate, waitForDbtRunMs: 90 * MINUTE })).result().catch((e: unknown) => e);
    });
    expect(failureType(result)).toBe('DbtRunWaitTimeout');
    const etlAlerts = (await h.alertsFor(runDate)).filter((a) => a.pipeline === 'daily_etl');
    expect(etlAlerts).toHaveLength(1);
    expect(etlAlerts[0]!.text).toContain('still running after 90 min');
    await h.env.client.workflow.getHandle(workflowIds.dbtDailyRun(runDate)).terminate('test over');
  });
});
