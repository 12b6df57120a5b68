// dbtDailyRun on the time-skipping server: retries by failure class, the SLA timer, the Flink
// gate, one alert per incident. The dbt process is a test double that writes run_results.json;
// everything else is real: the activities, PostgreSQL (ledger, alerts, flink_batches) and the
// @slack/web-api client talking to a local Slack stand-in.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { execa } from 'execa';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/platform/config';
import { signalFlinkGate } from '../../src/client/flink-complete';
import { dbtDailyRun, flinkGate } from '../../workflows';
import { flinkCompleteSignal, gateStateQuery, progressQuery, workflowIds } from '../../src/core/signals';
import type { DbtDailyRunInput } from '../../src/core/types';
import { MODELS, TESTS, type Scenario } from '../helpers/fake-dbt';
import { attemptDirs } from '../../src/artifacts/artifacts';
import { readRunResults } from '../../src/artifacts/run-results';
import { UI, usePipelineHarness } from '../helpers/pipeline-harness';
import { keepHistory } from '../helpers/histories';
import { eventually, gateWaiting } from '../helpers/temporal';

const MINUTE = 60_000;

describe('dbtDailyRun (time-skipping server)', () => {
  const h = usePipelineHarness(import.meta.url);
  const { db } = h;
  const withWorker = h.withWorker.bind(h);
  const flinkDone = h.flinkDone.bind(h);
  const alertsFor = h.alertsFor.bind(h);
  const messagesAbout = h.messagesAbout.bind(h);
  let env: TestWorkflowEnvironment;
  let slack: typeof h.slack;
  beforeAll(() => {
    env = h.env;
    slack = h.slack;
  });

  function start(taskQueue: string, input: DbtDailyRunInput) {
    return env.client.workflow.start(dbtDailyRun, {
      taskQueue,
      workflowId: workflowIds.dbtDailyRun(input.runDate),
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      args: [{ webUiUrl: UI, namespace: 'default', ...input }],
    });
  }

  // One dbt build per run: the models and their tests, in DAG order.
  const succeed: Scenario = () => ({ exitCode: 0, nodes: [...MODELS, ...TESTS] });
  const BUILD_ARGS = ['--indirect-selection', 'cautious', '--exclude', 'test_type:unit'];

  it('retries an infrastructure failure 3 times, 5 minutes apart, then sends exactly one alert', async () => {
    const runDate = '2026-10-01';
    await flinkDone(runDate);
    const times: number[] = [];
    const { result: error, dbt } = await withWorker(
      async () => {
        times.push(await env.currentTimeMs());
        return { exitCode: 2, raw: 'Database Error\n  connection to server at "127.0.0.1", port 5432 failed: Connection refused' };
      },
      async (tq) => (await start(tq, { runDate })).result().catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(dbt.invocations.map((i) => i.command)).toEqual(['build', 'build', 'build', 'build']);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    for (const gap of gaps) expect(Math.round(gap / MINUTE)).toBe(5);

    const messages = messagesAbout(runDate);
    expect(messages).toHaveLength(1);
    const text = String(messages[0]!.body.text);
    expect(text).toContain(`dbt daily run failed for ${runDate}`);
    expect(text).toContain('DbtConnectionError, after 4 attempts');
    expect(text).toContain(
      'Reproduce locally: roas dbt --date 2026-10-01 -- build --select tag:daily_run --indirect-selection cautious --exclude test_type:unit',
    );
    expect(text).toContain(`${UI}/namespaces/default/workflows/dbt-daily-run-${runDate}/`);
    const { rows } = await db.pool.query('SELECT status, attempts, error_type, sla_met FROM orchestrator.pipeline_runs WHERE run_date = $1', [runDate]);
    expect(rows).toEqual([{ status: 'failed', attempts: 4, error_type: 'DbtConnectionError', sla_met: true }]);
  });

  it('on retry re-runs only the nodes that failed or were skipped, and reports every node', async () => {
    const runDate = '2026-10-02';
    await flinkDone(runDate);
    const { result, dbt } = await withWorker(
      (_inv, call) => {
        if (call === 1) {
          return {
            exitCode: 1,
            nodes: [
              { name: 'stg_ad_events', status: 'success' },
              { name: 'stg_ad_events_not_empty', type: 'test', status: 'pass', failures: 0 },
              { name: 'int_hourly_agg', status: 'error', message: 'server closed the connection unexpectedly' },
              { name: 'fct_daily_metrics', status: 'skipped' },
              { name: 'fct_daily_metrics_spend_spike', type: 'test', status: 'skipped' },
            ],
          };
        }
        return { exitCode: 0, nodes: [...MODELS.filter((m) => m.name !== 'stg_ad_events'), TESTS[1]!] };
      },
      async (tq) => (await start(tq, { runDate })).result(),
    );
    // The retry selects the step again minus what passed: the failed and the skipped node run.
    expect(dbt.invocations[1]!.select).toEqual(['tag:daily_run']);
    expect(dbt.invocations[1]!.extraArgs).toEqual(['--indirect-selection', 'cautious', '--exclude', 'test_type:unit', 'stg_ad_events', 'stg_ad_events_not_empty']);
    expect(result.status).toBe('succeeded');
    expect(result.steps.map((s) => s.step)).toEqual(['build']);
    expect(result.steps[0]!.attempt).toBe(2);
    // The result counts every node, the two carried over from attempt 1 included; the history
    // names none (run_results.json of each attempt has them).
    expect(result.steps[0]!.nodeCounts).toEqual({ total: 5, passed: 5, warned: 0, failed: 0, skipped: 0, carried: 2 });
    expect(result.steps[0]!.nodes).toBeUndefined();
    expect(readRunResults(result.steps[0]!.targetPath)!.nodes.map((n) => `${n.name}:${n.status}`).sort()).toEqual([
      'fct_daily_metrics:success',
      'fct_daily_metrics_spend_spike:pass',
      'int_hourly_agg:success',
    ]);
    expect(messagesAbout(runDate)).toHaveLength(0);
    await keepHistory(env.client, workflowIds.dbtDailyRun(runDate), 'dbt-daily-run-retried-then-succeeded');
  });

  it('does not retry a compilation error and alerts once', async () => {
    const runDate = '2026-10-03';
    await flinkDone(runDate);
    const { result: error, dbt } = await withWorker(
      () => ({ exitCode: 2, raw: "Compilation Error in model stg_ad_events (models/staging/stg_ad_events.sql)\n  'micros_to_usd' is undefined" }),
      async (tq) => (await start(tq, { runDate })).result().catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(dbt.invocations).toHaveLength(1);
    const messages = messagesAbout(runDate);
    expect(messages).toHaveLength(1);
    expect(String(messages[0]!.body.text)).toContain('DbtCompilationError, not retried');
    expect(String(messages[0]!.body.text)).toContain("'micros_to_usd' is undefined");
  });

  it('does not retry a failing error-severity test; the alert names it with its failing rows', async () => {
    const runDate = '2026-10-04';
    await flinkDone(runDate);
    const { result: error, dbt } = await withWorker(
      () => ({
        exitCode: 1,
        nodes: [
          ...MODELS,
          { name: 'stg_ad_events_amounts_not_negative', type: 'test', status: 'fail', failures: 37, message: 'Got 37 results, configured to fail if != 0' },
          { name: 'fct_daily_metrics_spend_spike', type: 'test', status: 'warn', failures: 2, message: 'Got 2 results, configured to warn if != 0' },
        ],
      }),
      async (tq) => (await start(tq, { runDate })).result().catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(dbt.invocations.map((i) => [i.command, ...(i.extraArgs ?? [])])).toEqual([['build', ...BUILD_ARGS]]);
    const text = String(messagesAbout(runDate)[0]!.body.text);
    expect(messagesAbout(runDate)).toHaveLength(1);
    expect(text).toContain('DbtTestFailure, not retried');
    expect(text).toContain('stg_ad_events_amounts_not_negative [fail] (37 failing rows)');
    expect(text).not.toContain('fct_daily_metrics_spend_spike [warn]');
    await keepHistory(env.client, workflowIds.dbtDailyRun(runDate), 'dbt-daily-run-failed-test');
  });

  it('reports warn-severity tests without failing the run', async () => {
    const runDate = '2026-10-05';
    await flinkDone(runDate);
    const { result } = await withWorker(
      () => ({ exitCode: 0, nodes: [...MODELS, { name: 'fct_daily_metrics_spend_spike', type: 'test', status: 'warn', failures: 3, message: 'Got 3 results' }] }),
      async (tq) => (await start(tq, { runDate })).result(),
    );
    expect(result.status).toBe('succeeded');
    expect(result.warnings.map((w) => w.name)).toEqual(['fct_daily_metrics_spend_spike']);
    expect(messagesAbout(runDate)).toHaveLength(0);
  });

  it('fires the SLA alert at 60 minutes while the run goes on, then succeeds', async () => {
    const runDate = '2026-10-06';
    const { result } = await withWorker(succeed, async (tq) => {
      const handle = await start(tq, { runDate });
      await env.sleep(59 * MINUTE);
      expect(messagesAbout(runDate)).toHaveLength(0);
      await env.sleep(6 * MINUTE);
      const sla = messagesAbout(runDate);
      expect(sla).toHaveLength(1);
      expect(String(sla[0]!.body.text)).toContain('SLA missed');
      expect(String(sla[0]!.body.text)).toContain('waiting for Flink');
      expect((await handle.query(progressQuery)).slaMissed).toBe(true);
      await flinkDone(runDate); // the gate's next re-check finds it
      return handle.result();
    });
    expect(result).toMatchObject({ status: 'succeeded', slaMet: false });
    expect((await alertsFor(runDate)).map((a) => a.kind)).toEqual(['sla_miss']);
    const { rows } = await db.pool.query('SELECT status, sla_met FROM orchestrator.pipeline_runs WHERE run_date = $1', [runDate]);
    expect(rows).toEqual([{ status: 'succeeded', sla_met: false }]);
    await keepHistory(env.client, workflowIds.dbtDailyRun(runDate), 'dbt-daily-run-sla-missed');
    await keepHistory(env.client, workflowIds.flinkGate(runDate), 'flink-gate-opened-by-recheck');
  });

  it('fails at the Flink gate deadline with one alert that says what to do', async () => {
    const runDate = '2026-10-07';
    const { result: error, dbt } = await withWorker(succeed, async (tq) =>
      (await start(tq, { runDate, slaMs: 24 * 60 * MINUTE, flinkGate: { deadlineMs: 120 * MINUTE, recheckMs: 5 * MINUTE } }))
        .result()
        .catch((e: unknown) => e),
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(dbt.invocations).toHaveLength(0);
    const alerts = await alertsFor(runDate);
    expect(alerts.map((a) => a.kind)).toEqual(['flink_gate_deadline']);
    expect(alerts[0]!.text).toContain(`roas flink-complete --date ${runDate}`);
    expect(messagesAbout(runDate)).toHaveLength(1);
    await keepHistory(env.client, workflowIds.dbtDailyRun(runDate), 'dbt-daily-run-flink-gate-deadline');
    await keepHistory(env.client, workflowIds.flinkGate(runDate), 'flink-gate-deadline');
  });

  it('opens the gate at once when Flink completed the date before the run started', async () => {
    const runDate = '2026-10-08';
    await flinkDone(runDate);
    const { result } = await withWorker(succeed, async (tq) => {
      const handle = await start(tq, { runDate });
      const r = await handle.result();
      const gate = await env.client.workflow.getHandle<typeof flinkGate>(workflowIds.flinkGate(runDate)).result();
      return { r, gate };
    });
    expect(result.r.status).toBe('succeeded');
    expect(result.gate).toMatchObject({ openedBy: 'table' });
  });

  it('opens the gate on the flinkComplete signal when Flink completes after the run started', async () => {
    const runDate = '2026-10-09';
    const { result } = await withWorker(succeed, async (tq) => {
      const handle = await start(tq, { runDate });
      await gateWaiting(env.client, runDate);
      await flinkDone(runDate);
      expect(await signalFlinkGate(env.client, runDate)).toBe(true);
      // A repeated call is harmless.
      await flinkDone(runDate);
      const r = await handle.result();
      const gate = await env.client.workflow.getHandle<typeof flinkGate>(workflowIds.flinkGate(runDate)).result();
      return { r, gate };
    });
    expect(result.r.status).toBe('succeeded');
    expect(result.gate).toMatchObject({ openedBy: 'signal' });
    await keepHistory(env.client, workflowIds.flinkGate(runDate), 'flink-gate-opened-by-signal');
  });

  it('ignores malformed and wrong-date flinkComplete signals, and a signal after completion is harmless', async () => {
    const runDate = '2026-10-14';
    const { result } = await withWorker(succeed, async (tq) => {
      const handle = await start(tq, { runDate });
      await gateWaiting(env.client, runDate);
      const gate = env.client.workflow.getHandle<typeof flinkGate>(workflowIds.flinkGate(runDate));
      // A payload for another date, an empty one and a non-object: the gate keeps waiting.
      await gate.signal(flinkCompleteSignal, { runDate: '2026-10-15' });
      await gate.signal('flinkComplete', {});
      await gate.signal('flinkComplete', 'complete!');
      expect(await gate.query(gateStateQuery)).toBe('waiting');
      await flinkDone(runDate);
      expect(await signalFlinkGate(env.client, runDate)).toBe(true);
      const r = await handle.result();
      // Out of order: the hook called again after the run finished.
      expect(await signalFlinkGate(env.client, runDate)).toBe(false);
      return { r, opened: await gate.result() };
    });
    expect(result.r.status).toBe('succeeded');
    expect(result.opened).toMatchObject({ openedBy: 'signal' });
  });

  it('skips a date that already succeeded unless forced', async () => {
    const runDate = '2026-10-10';
    await flinkDone(runDate);
    const { result, dbt } = await withWorker(succeed, async (tq) => {
      const first = await (await start(tq, { runDate })).result();
      const second = await (await start(tq, { runDate })).result();
      const forced = await (await start(tq, { runDate, force: true })).result();
      return { first, second, forced };
    });
    expect(result.first.status).toBe('succeeded');
    expect(result.second.status).toBe('skipped');
    expect(result.second.reason).toContain('already succeeded');
    expect(result.forced.status).toBe('succeeded');
    await keepHistory(env.client, workflowIds.dbtDailyRun(runDate), 'dbt-daily-run-forced-after-skip');
    expect(dbt.invocations).toHaveLength(2);
    // The forced run kept its artifacts apart from the first run's: one folder per run.
    const kept = attemptDirs(path.join(h.artifactsDir, 'dbt_daily_run', runDate, 'build'));
    expect(kept.map((a) => a.attempt)).toEqual([1, 1]);
    expect(new Set(kept.map((a) => a.run)).size).toBe(2);
    for (const a of kept) expect(existsSync(path.join(a.dir, 'run_results.json')), a.dir).toBe(true);
    expect(kept.map((a) => a.dir).sort()).toEqual([result.first.steps[0]!.targetPath, result.forced.steps[0]!.targetPath].sort());
    expect(result.forced.steps[0]!.targetPath).not.toBe(result.first.steps[0]!.targetPath);
    // The skip is in the ledger with why, and `roas runs` and `status` show it.
    const { rows } = await db.pool.query<{ status: string; skipped: string | null }>(
      "SELECT status, summary ->> 'skipped' AS skipped FROM orchestrator.pipeline_runs WHERE run_date = $1 ORDER BY started_at, finished_at",
      [runDate],
    );
    expect(rows.map((r) => r.status)).toEqual(['succeeded', 'skipped', 'succeeded']);
    expect(rows[1]!.skipped).toContain(`${runDate} already succeeded (run `);
    const env2 = { DATABASE_URL: db.url, TEMPORAL_ADDRESS: '127.0.0.1:1', LOG_LEVEL: 'warn' };
    const status = await execa(path.join(PROJECT_ROOT, 'bin', 'roas'), ['status', '--date', runDate], { reject: false, env: env2 });
    expect(status.stdout).toMatch(/dbt_daily_run skipped .*\n\s+skipped: 2026-10-10 already succeeded \(run /);
    const runs = await execa(path.join(PROJECT_ROOT, 'bin', 'roas'), ['runs'], { reject: false, env: env2 });
    expect(runs.stdout, runs.stderr).toMatch(/2026-10-10\s+dbt_daily_run skipped .*already succeeded before/);
  });

  it('answers the progress query with the step and dbt nodes done / total', async () => {
    const runDate = '2026-10-11';
    await flinkDone(runDate);
    let release: () => void = () => {};
    const blocked = new Promise<void>((r) => (release = r));
    const { result } = await withWorker(
      async (inv, call) => {
        if (call === 1) await blocked;
        return { exitCode: 0, nodes: [...MODELS, ...TESTS] };
      },
      async (tq) => {
        const handle = await start(tq, { runDate });
        await eventually('the run to reach dbt-build', async () => (await handle.query(progressQuery)).step === 'dbt-build');
        const seen = await handle.query(progressQuery);
        release();
        return { seen, final: await handle.result() };
      },
    );
    expect(result.seen).toMatchObject({ runDate, step: 'dbt-build', slaMissed: false });
    expect(result.final.status).toBe('succeeded');
  });

  it('a Slack outage or a missing token never fails a pipeline; the alert is recorded', async () => {
    const runDate = '2026-10-12';
    slack.setMode('invalid_auth');
    try {
      const { result } = await withWorker(succeed, async (tq) => {
        const handle = await start(tq, { runDate });
        await env.sleep(65 * MINUTE);
        await flinkDone(runDate);
        return handle.result();
      });
      expect(result).toMatchObject({ status: 'succeeded', slaMet: false });
      expect(await alertsFor(runDate)).toMatchObject([{ kind: 'sla_miss', delivered: false, delivery_error: 'slack: invalid_auth' }]);
    } finally {
      slack.setMode('ok');
    }
    const noToken = '2026-10-13';
    await flinkDone(noToken);
    const { result: error } = await withWorker(
      () => ({ exitCode: 2, raw: 'Compilation Error in model x' }),
      async (tq) => (await start(tq, { runDate: noToken })).result().catch((e: unknown) => e),
      { slackEnabled: false },
    );
    expect((error as WorkflowFailedError).cause?.cause).toMatchObject({ type: 'DbtCompilationError' });
    expect(await alertsFor(noToken)).toMatchObject([{ kind: 'failure', delivered: false }]);
    expect(messagesAbout(noToken)).toHaveLength(0);
  });
});
