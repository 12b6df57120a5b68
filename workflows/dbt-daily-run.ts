// The daily dbt run for one date. Waits for Flink (child workflow flinkGate), then
// `dbt run`, then `dbt test`, retried by failure class; an SLA timer races the work; one alert
// per incident; every run recorded in orchestrator.pipeline_runs.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FLINK_GATE_DEADLINE, NON_RETRYABLE_DBT_FAILURES } from '../src/core/failure-types';
import { dbtFailureLines, describeProgress } from '../src/core/describe';
import { flinkGate } from './flink-gate';
import { dbtSelector, PIPELINES } from '../src/core/pipelines';
import { DEFAULT_FLINK_GATE, DEFAULT_SLA_MS } from '../src/core/settings';
import { ALERT_OPTIONS, BOOKKEEPING_OPTIONS, dbtStepOptions, PUBLISH_PATCH, publishOptions, SINGLE_BUILD_PATCH, SKIPPED_RUN_LEDGER_PATCH } from './policies';
import { runLink, trackProgress } from './progress';
import { retrySettingsFor } from './retry-settings';
import { dbtRunFinishedSignal, workflowIds } from '../src/core/signals';
import {
  DBT_STEP_PROGRESS,
  type Alert,
  type DbtDailyRunInput,
  type DbtDailyRunProgress,
  type DbtDailyRunResult,
  type DbtFailureDetails,
  type DbtStep,
  type DbtStepResult,
  type PublishResult,
} from '../src/core/types';

const PIPELINE = PIPELINES.dbt.name;
const TAG = PIPELINES.dbt.dbtTag;
const SELECTOR = dbtSelector(PIPELINES.dbt);

const { findSucceededRun, recordRunSkipped, recordRunStarted, updateRun } = proxyActivities<Activities>(BOOKKEEPING_OPTIONS);

function ledgerStart(info: { workflowId: string; runId: string }, runDate: string, trigger: string | undefined, scheduled: Date) {
  return { workflowId: info.workflowId, runId: info.runId, pipeline: PIPELINE, runDate, trigger: trigger ?? 'manual', scheduledAt: scheduled.toISOString() };
}
const { sendAlert } = proxyActivities<Activities>(ALERT_OPTIONS);

export async function dbtDailyRun(input: DbtDailyRunInput): Promise<DbtDailyRunResult> {
  const info = workflowInfo();
  const startedAt = info.startTime;
  const scheduled = input.scheduledTime ? new Date(input.scheduledTime) : startedAt;
  const slaMs = input.slaMs ?? DEFAULT_SLA_MS;
  const slaDeadline = new Date(scheduled.getTime() + slaMs);
  const link = runLink(input.webUiUrl, input.namespace);
  const retry = await retrySettingsFor(input);
  const { runDbtStep } = proxyActivities<Activities>(dbtStepOptions(retry));
  const { publishDay } = proxyActivities<Activities>(publishOptions(retry));

  const progress = trackProgress(input.runDate, slaDeadline, { pipeline: PIPELINE, trigger: input.trigger });

  if (!input.force) {
    const previous = await findSucceededRun(PIPELINE, input.runDate);
    if (previous) {
      progress.step = 'skipped';
      const finishedAt = startedAt.toISOString();
      const reason = `${input.runDate} already succeeded (run ${previous.runId}, finished ${previous.finishedAt}); start with force to run it again`;
      if (patched(SKIPPED_RUN_LEDGER_PATCH)) {
        await recordRunSkipped({ ...ledgerStart(info, input.runDate, input.trigger, scheduled), reason });
      }
      return {
        runDate: input.runDate,
        status: 'skipped',
        slaMet: true,
        startedAt: startedAt.toISOString(),
        finishedAt,
        steps: [],
        warnings: [],
        reason,
      };
    }
  }

  await recordRunStarted(ledgerStart(info, input.runDate, input.trigger, scheduled));

  // The SLA timer races the work: when it fires, one alert goes out and the work goes on.
  const slaScope = new CancellationScope();
  const slaTimer = slaScope
    .run(async () => {
      const remaining = slaDeadline.getTime() - startedAt.getTime();
      if (remaining > 0) await sleep(remaining);
      progress.slaMissed = true;
      await sendAlert({
        incidentKey: `${info.workflowId}:${info.runId}:sla_miss`,
        kind: 'sla_miss',
        pipeline: PIPELINE,
        runDate: input.runDate,
        title: `SLA missed: dbt daily run for ${input.runDate} is not done ${Math.round(slaMs / 60_000)} min after ${scheduled.toISOString()}`,
        lines: [
          `Now: ${describeStep(progress)}.`,
          progress.failures.length ? `Failures so far: ${progress.failures.join(', ')}` : 'No failures so far; the run continues.',
        ],
        link,
        progressOf: info.workflowId,
      });
      await updateRun({ workflowId: info.workflowId, runId: info.runId, slaMet: false });
    })
    .catch((err: unknown) => {
      if (!isCancellation(err)) throw err;
    });

  const steps: DbtStepResult[] = [];
  const setStep = async (step: DbtDailyRunProgress['step']) => {
    progress.step = step;
    progress.stepSince = new Date().toISOString();
    progress.nodesDone = 0;
    progress.nodesTotal = 0;
    progress.attempt = 0;
    await updateRun({ workflowId: info.workflowId, runId: info.runId, currentStep: step });
  };

  try {
    await setStep('waiting-for-flink');
    await executeChild(flinkGate, {
      workflowId: workflowIds.flinkGate(input.runDate),
      args: [{ runDate: input.runDate, pipeline: PIPELINE, options: input.flinkGate ?? DEFAULT_FLINK_GATE, webUiLink: link }],
      parentClosePolicy: ParentClosePolicy.TERMINATE,
    });

    // One dbt process builds the models and runs their tests in DAG order (a failing test stops
    // what depends on it); runs started before this was deployed replay as run, then test.
    const dbtSteps: DbtStep[] = patched(SINGLE_BUILD_PATCH) ? ['build'] : ['run', 'test'];
    for (const step of dbtSteps) {
      await setStep(DBT_STEP_PROGRESS[step]);
      const result = await runDbtStep({ pipeline: PIPELINE, runDate: input.runDate, step, select: SELECTOR });
      steps.push(result);
      progress.attempt = result.attempt;
    }
    // Only now, every error-severity test having passed on the audited rows, does the date
    // become visible in analytics: all models at once.
    // Runs that were already past this point when publishing was deployed replay without it.
    let published: PublishResult | undefined;
    if (patched(PUBLISH_PATCH)) {
      await setStep('publishing');
      published = await publishDay({ pipeline: PIPELINE, runDate: input.runDate, tag: TAG });
    }

    slaScope.cancel();
    await slaTimer;
    progress.step = 'succeeded';
    const warnings = steps.flatMap((s) => s.warnings);
    const { finishedAt } = await updateRun({
      workflowId: info.workflowId,
      runId: info.runId,
      status: 'succeeded',
      currentStep: 'succeeded',
      attempts: Math.max(...steps.map((s) => s.attempt)),
      slaMet: !progress.slaMissed,
      summary: { ...summaryOf(steps), published: published?.models ?? [] },
      finished: true,
    });
    await notifyEtl(input.runDate, true);
    return {
      runDate: input.runDate,
      status: 'succeeded',
      slaMet: !progress.slaMissed,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt ?? startedAt.toISOString(),
      steps,
      warnings,
      published,
    };
  } catch (err) {
    slaScope.cancel();
    await slaTimer;
    if (isCancellation(err)) {
      // Cancelled by an operator: no alert; the ledger says so. Activities in a cancelled scope
      // would be cancelled at once, hence the non-cancellable scope.
      progress.step = 'cancelled';
      await CancellationScope.nonCancellable(() =>
        updateRun({ workflowId: info.workflowId, runId: info.runId, status: 'cancelled', currentStep: 'cancelled', summary: summaryOf(steps), finished: true }),
      );
      throw err;
    }
    progress.step = 'failed';
    const explained = explainFailure(err, input.runDate);
    // The gate raises its own alert at its deadline; everything else alerts here, once.
    if (!explained.alertedAlready) {
      await sendAlert({
        incidentKey: `${info.workflowId}:${info.runId}:failure`,
        kind: 'failure',
        pipeline: PIPELINE,
        runDate: input.runDate,
        title: `dbt daily run failed for ${input.runDate}: ${explained.headline}`,
        lines: explained.lines,
        link,
        ...(explained.failingNodesOf && { failingNodesOf: explained.failingNodesOf }),
      });
    }
    await updateRun({
      workflowId: info.workflowId,
      runId: info.runId,
      status: 'failed',
      currentStep: 'failed',
      attempts: explained.attempts,
      slaMet: !progress.slaMissed,
      errorType: explained.type,
      error: explained.headline,
      summary: summaryOf(steps),
      finished: true,
    });
    await notifyEtl(input.runDate, false);
    throw err;
  }
}

/** Wakes the date's daily ETL if it is waiting for this run; nobody waiting is fine. */
async function notifyEtl(runDate: string, succeeded: boolean): Promise<void> {
  try {
    await getExternalWorkflowHandle(workflowIds.dailyEtl(runDate)).signal(dbtRunFinishedSignal, { runDate, succeeded });
  } catch {
    // No ETL of that date is running: it will read the ledger when it starts.
  }
}

function describeStep(p: DbtDailyRunProgress): string {
  return describeProgress(p, Date.now());
}

function summaryOf(steps: DbtStepResult[]): Record<string, unknown> {
  return Object.fromEntries(
    steps.map((s) => [
      s.step,
      {
        attempt: s.attempt,
        dbtSeconds: s.dbtSeconds,
        wallSeconds: s.wallSeconds,
        nodes: s.nodeCounts?.total ?? s.nodes?.length ?? 0,
        warnings: s.warnings.map((w) => w.name),
        targetPath: s.targetPath,
      },
    ]),
  );
}

interface ExplainedFailure {
  type: string;
  headline: string;
  lines: string[];
  attempts: number;
  alertedAlready: boolean;
  /** Set when the failure names only some of its failing nodes: the alert reads the rest from the artifacts. */
  failingNodesOf?: Alert['failingNodesOf'];
}

/** Turns an activity or child failure into the lines of one self-explanatory alert. */
export function explainFailure(err: unknown, runDate: string): ExplainedFailure {
  if (err instanceof ChildWorkflowFailure) {
    const cause = err.cause;
    const type = cause instanceof ApplicationFailure ? (cause.type ?? 'ChildWorkflowFailure') : 'ChildWorkflowFailure';
    return { type, headline: cause?.message ?? err.message, lines: [cause?.message ?? err.message], attempts: 0, alertedAlready: type === FLINK_GATE_DEADLINE };
  }
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const cause = err.cause;
    const details = cause.details?.[0] as DbtFailureDetails | undefined;
    const type = cause.type ?? 'Error';
    const retried = !cause.nonRetryable && !(NON_RETRYABLE_DBT_FAILURES as readonly string[]).includes(type);
    const lines: string[] = [];
    if (details) {
      lines.push(...dbtFailureLines(type, details, retried ? 'retried' : 'not-retryable'));
    } else {
      lines.push(cause.message);
    }
    const truncated = details && (details.failingNodeCount ?? 0) > details.failingNodes.length;
    return {
      type,
      headline: cause.message,
      lines,
      attempts: details?.attempt ?? 1,
      alertedAlready: false,
      ...(truncated && { failingNodesOf: { targetPath: details.targetPath, listed: details.failingNodes.map((n) => n.name) } }),
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { type: 'Error', headline: message, lines: [message, `Re-run: roas run dbt --date ${runDate} --force`], attempts: 0, alertedAlready: false };
}

