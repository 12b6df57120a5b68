// The daily ETL for one date, after that date's dbt run has succeeded (checked through the
// run's business ID and the ledger, never by clock time): validate_source_data → run_dbt_models
// (the report models) → generate_reports.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { dbtSelector, PIPELINES } from '../src/core/pipelines';
import { explainFailure } from './dbt-daily-run';
import { ALERT_OPTIONS, BOOKKEEPING_OPTIONS, dbtStepOptions, PUBLISH_PATCH, publishOptions, SINGLE_BUILD_PATCH, SKIPPED_RUN_LEDGER_PATCH } from './policies';
import { runLink, trackProgress } from './progress';
import { retrySettingsFor } from './retry-settings';
import { dbtRunFinishedSignal } from '../src/core/signals';
import { DBT_STEP_PROGRESS, type Alert, type DailyEtlInput, type DailyEtlResult, type DbtStep, type DbtStepResult, type EtlStep, type LedgerStart, type PublishResult, type ReportSummary, type ValidationCheck } from '../src/core/types';
import { DEFAULT_THRESHOLDS } from '../src/core/validation-defaults';

const PIPELINE = PIPELINES.etl.name;
const TAG = PIPELINES.etl.dbtTag;
const SELECTOR = dbtSelector(PIPELINES.etl);
export const DEFAULT_WAIT_FOR_DBT_RUN_MS = 3 * 60 * 60_000;
export const DEFAULT_ETL_RECHECK_MS = 5 * 60_000;

const { findSucceededRun, recordRunSkipped, recordRunStarted, updateRun, dbtRunState } = proxyActivities<Activities>(BOOKKEEPING_OPTIONS);
const { sendAlert, postReportSummary } = proxyActivities<Activities>(ALERT_OPTIONS);
const { validateSourceData, generateReport } = proxyActivities<Activities>({
  startToCloseTimeout: '15 minutes',
  retry: { initialInterval: '30 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 4 },
});

/** Thrown (non-retryable) when the ETL cannot or must not go on; the type names why. */
const DBT_RUN_FAILED = 'DbtRunFailed';
const DBT_RUN_MISSING = 'DbtRunMissing';
const DBT_RUN_WAIT_TIMEOUT = 'DbtRunWaitTimeout';
const SOURCE_VALIDATION_FAILED = 'SourceValidationFailed';

export async function dailyEtl(input: DailyEtlInput): Promise<DailyEtlResult> {
  const info = workflowInfo();
  const startedAt = info.startTime;
  const link = runLink(input.webUiUrl, input.namespace);
  const retry = await retrySettingsFor(input);
  const { runDbtStep } = proxyActivities<Activities>(dbtStepOptions(retry));
  const { publishDay } = proxyActivities<Activities>(publishOptions(retry));

  const progress = trackProgress(input.runDate, undefined, { pipeline: PIPELINE, trigger: input.trigger });
  let dbtRunFinished = false;
  setHandler(dbtRunFinishedSignal, (p) => {
    if (p?.runDate === input.runDate) dbtRunFinished = true;
  });
  const setStep = async (step: EtlStep) => {
    progress.step = step;
    progress.stepSince = new Date().toISOString();
    progress.nodesDone = 0;
    progress.nodesTotal = 0;
    await updateRun({ workflowId: info.workflowId, runId: info.runId, currentStep: step });
  };

  const ledgerStart: LedgerStart = {
    workflowId: info.workflowId,
    runId: info.runId,
    pipeline: PIPELINE,
    runDate: input.runDate,
    trigger: input.trigger ?? 'manual',
    scheduledAt: input.scheduledTime ?? startedAt.toISOString(),
  };
  if (!input.force) {
    const previous = await findSucceededRun(PIPELINE, input.runDate);
    if (previous) {
      progress.step = 'skipped';
      const reason = `the daily ETL of ${input.runDate} already succeeded (run ${previous.runId}); start with force to run it again`;
      if (patched(SKIPPED_RUN_LEDGER_PATCH)) await recordRunSkipped({ ...ledgerStart, reason });
      return {
        runDate: input.runDate,
        status: 'skipped',
        checks: [],
        steps: [],
        report: null,
        startedAt: startedAt.toISOString(),
        finishedAt: startedAt.toISOString(),
        reason,
      };
    }
  }
  await recordRunStarted(ledgerStart);

  let checks: ValidationCheck[] = [];
  const steps: DbtStepResult[] = [];
  try {
    // 1. The date's dbt run must have succeeded. Wait while it runs: it signals us when it ends,
    //    and we look again every few minutes in case that signal was missed.
    await setStep('waiting-for-dbt-run');
    const waitMs = input.waitForDbtRunMs ?? DEFAULT_WAIT_FOR_DBT_RUN_MS;
    const recheckMs = input.recheckMs ?? DEFAULT_ETL_RECHECK_MS;
    let waited = 0;
    for (;;) {
      const { state, detail } = await dbtRunState(input.runDate);
      if (state === 'succeeded') break;
      if (state === 'failed') throw ApplicationFailure.nonRetryable(`The dbt run for ${input.runDate} did not succeed: ${detail}`, DBT_RUN_FAILED);
      if (state === 'missing') {
        throw ApplicationFailure.nonRetryable(`No dbt run exists for ${input.runDate}: ${detail}`, DBT_RUN_MISSING);
      }
      if (waited >= waitMs) {
        throw ApplicationFailure.nonRetryable(
          `The dbt run for ${input.runDate} was still running after ${Math.round(waitMs / 60_000)} min of waiting`,
          DBT_RUN_WAIT_TIMEOUT,
        );
      }
      const slice = Math.min(recheckMs, waitMs - waited);
      dbtRunFinished = false;
      await condition(() => dbtRunFinished, slice);
      waited += slice;
    }

    // 2. validate_source_data: a failing check stops the ETL before dbt.
    await setStep('validating');
    checks = await validateSourceData(input.runDate, input.thresholds ?? DEFAULT_THRESHOLDS);
    const failed = checks.filter((c) => c.status === 'fail');
    if (failed.length) {
      throw ApplicationFailure.create({
        type: SOURCE_VALIDATION_FAILED,
        nonRetryable: true,
        message: `Source data for ${input.runDate} failed ${failed.length} check(s): ${failed.map((c) => c.name).join(', ')}`,
        details: [failed],
      });
    }

    // 3. run_dbt_models: the report models of the date, then their tests.
    // In one dbt process, in DAG order (runs started before this was deployed: run, then test).
    const dbtSteps: DbtStep[] = patched(SINGLE_BUILD_PATCH) ? ['build'] : ['run', 'test'];
    for (const step of dbtSteps) {
      await setStep(DBT_STEP_PROGRESS[step]);
      steps.push(await runDbtStep({ pipeline: PIPELINE, runDate: input.runDate, step, select: SELECTOR }));
    }
    // The report models become visible only once their tests passed, all at once.
    // Runs that were already past this point when publishing was deployed replay without it.
    let published: PublishResult | undefined;
    if (patched(PUBLISH_PATCH)) {
      await setStep('publishing');
      published = await publishDay({ pipeline: PIPELINE, runDate: input.runDate, tag: TAG });
    }

    // 4. generate_reports, then the day's numbers to Slack.
    await setStep('generating-report');
    const report: ReportSummary = await generateReport(input.runDate, checks);
    await postReportSummary(report, checks);

    progress.step = 'succeeded';
    const { finishedAt } = await updateRun({
      workflowId: info.workflowId,
      runId: info.runId,
      status: 'succeeded',
      currentStep: 'succeeded',
      attempts: Math.max(1, ...steps.map((s) => s.attempt)),
      summary: { report: report.htmlPath, checks: checks.map((c) => `${c.name}:${c.status}`) },
      finished: true,
    });
    return {
      runDate: input.runDate,
      status: 'succeeded',
      checks,
      steps,
      report,
      published,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt ?? startedAt.toISOString(),
    };
  } catch (err) {
    if (isCancellation(err)) {
      progress.step = 'cancelled';
      await CancellationScope.nonCancellable(() =>
        updateRun({ workflowId: info.workflowId, runId: info.runId, status: 'cancelled', currentStep: 'cancelled', finished: true }),
      );
      throw err;
    }
    const failedAt = progress.step;
    progress.step = 'failed';
    const alert = etlAlertLines(err, input.runDate, checks);
    await sendAlert({
      incidentKey: `${info.workflowId}:${info.runId}:failure`,
      kind: 'failure',
      pipeline: PIPELINE,
      runDate: input.runDate,
      title: `Daily ETL failed for ${input.runDate} at ${failedAt}: ${alert.headline}`,
      lines: alert.lines,
      ...(alert.failingNodesOf && { failingNodesOf: alert.failingNodesOf }),
      link,
    });
    await updateRun({
      workflowId: info.workflowId,
      runId: info.runId,
      status: 'failed',
      currentStep: 'failed',
      errorType: alert.type,
      error: alert.headline,
      summary: { checks: checks.map((c) => `${c.name}:${c.status}`) },
      finished: true,
    });
    throw err;
  }
}

function etlAlertLines(err: unknown, runDate: string, checks: ValidationCheck[]): { type: string; headline: string; lines: string[]; failingNodesOf?: Alert['failingNodesOf'] } {
  if (err instanceof ApplicationFailure) {
    const type = err.type ?? 'Error';
    if (type === SOURCE_VALIDATION_FAILED) {
      return {
        type,
        headline: err.message,
        lines: [
          'dbt was not run. Failed checks:',
          ...checks.filter((c) => c.status === 'fail').map((c) => `• ${c.name}: ${c.detail} (rule: ${c.threshold})`),
          ...checks.filter((c) => c.status === 'warn').map((c) => `• warning, ${c.name}: ${c.detail}`),
          `Fix the source data (or the thresholds), then: roas run etl --date ${runDate} --force`,
        ],
      };
    }
    const hint =
      type === DBT_RUN_MISSING
        ? `Start it: roas run dbt --date ${runDate}, then roas run etl --date ${runDate}`
        : type === DBT_RUN_FAILED
          ? `See the dbt run's alert; once it succeeds: roas run etl --date ${runDate}`
          : `Check the dbt run (roas status --date ${runDate}); then roas run etl --date ${runDate}`;
    return { type, headline: err.message, lines: [err.message, hint] };
  }
  const explained = explainFailure(err, runDate);
  return { type: explained.type, headline: explained.headline, lines: explained.lines, failingNodesOf: explained.failingNodesOf };
}
