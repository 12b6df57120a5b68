// The daily ETL for one date, after that date's dbt run has succeeded (checked through the
// run's business ID and the ledger, never by clock time): validate_source_data → run_dbt_models
// (the report models) → generate_reports.
import { ApplicationFailure, condition, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { dbtSelector, PIPELINES } from '../src/core/pipelines';
import { explainFailure } from './dbt-daily-run';
import { runLifecycle } from './lifecycle';
import { ALERT_OPTIONS, BOOKKEEPING_OPTIONS, dbtStepOptions, publishOptions } from './policies';
import { retrySettingsFor } from './retry-settings';
import { dbtRunFinishedSignal } from '../src/core/signals';
import { DBT_STEP_PROGRESS, type Alert, type DailyEtlInput, type DailyEtlResult, type DbtStep, type DbtStepResult, type PublishResult, type ReportSummary, type ValidationCheck } from '../src/core/types';
import { DEFAULT_THRESHOLDS } from '../src/core/validation-defaults';

const PIPELINE = PIPELINES.etl.name;
const TAG = PIPELINES.etl.dbtTag;
const SELECTOR = dbtSelector(PIPELINES.etl);
export const DEFAULT_WAIT_FOR_DBT_RUN_MS = 3 * 60 * 60_000;
export const DEFAULT_ETL_RECHECK_MS = 5 * 60_000;

const { dbtRunState } = proxyActivities<Activities>(BOOKKEEPING_OPTIONS);
const { postReportSummary } = proxyActivities<Activities>(ALERT_OPTIONS);
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
  const retry = await retrySettingsFor(input);
  const { runDbtStep } = proxyActivities<Activities>(dbtStepOptions(retry));
  const { publishDay } = proxyActivities<Activities>(publishOptions(retry));
  const startedAt = workflowInfo().startTime.toISOString();
  let dbtRunFinished = false;
  setHandler(dbtRunFinishedSignal, (p) => {
    if (p?.runDate === input.runDate) dbtRunFinished = true;
  });
  let checks: ValidationCheck[] = [];
  const steps: DbtStepResult[] = [];
  const checkList = () => checks.map((c) => `${c.name}:${c.status}`);

  return runLifecycle<DailyEtlResult>({
    pipeline: PIPELINE,
    input,
    skipped: (previous) => {
      const reason = `the daily ETL of ${input.runDate} already succeeded (run ${previous.runId}); start with force to run it again`;
      return { reason, result: { runDate: input.runDate, status: 'skipped', checks: [], steps: [], report: null, startedAt, finishedAt: startedAt, reason } };
    },
    work: async (run) => {
      // 1. The date's dbt run must have succeeded (never a clock time).
      await run.setStep('waiting-for-dbt-run');
      await waitForDbtRun(input, () => dbtRunFinished, (v) => (dbtRunFinished = v));
      // 2. validate_source_data: a failing check stops the ETL before dbt.
      await run.setStep('validating');
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
      // 3. run_dbt_models: the report models of the date and their tests, in one dbt process;
      //    visible only once their tests passed, all at once.
      const step: DbtStep = 'build';
      await run.setStep(DBT_STEP_PROGRESS[step]);
      steps.push(await runDbtStep({ pipeline: PIPELINE, runDate: input.runDate, step, select: SELECTOR }));
      await run.setStep('publishing');
      const published: PublishResult = await publishDay({ pipeline: PIPELINE, runDate: input.runDate, tag: TAG });
      // 4. generate_reports, then the day's numbers to Slack.
      await run.setStep('generating-report');
      const report: ReportSummary = await generateReport(input.runDate, checks);
      await postReportSummary(report, checks);
      return {
        attempts: Math.max(1, ...steps.map((s) => s.attempt)),
        summary: { report: report.htmlPath, checks: checkList() },
        result: (finishedAt) => ({ runDate: input.runDate, status: 'succeeded', checks, steps, report, published, startedAt, finishedAt }),
      };
    },
    explain: (err, failedAt) => {
      const alert = etlAlertLines(err, input.runDate, checks);
      return { ...alert, title: `Daily ETL failed for ${input.runDate} at ${failedAt}: ${alert.headline}` };
    },
    summaryOnFailure: () => ({ checks: checkList() }),
  });
}

/**
 * Waits while the date's dbt run runs: it signals when it ends, and the ledger is read again
 * every few minutes in case that signal was missed. Fails (not retried) when it failed, does not
 * exist, or is still running after the wait.
 */
async function waitForDbtRun(input: DailyEtlInput, finished: () => boolean, reset: (v: boolean) => void): Promise<void> {
  const waitMs = input.waitForDbtRunMs ?? DEFAULT_WAIT_FOR_DBT_RUN_MS;
  const recheckMs = input.recheckMs ?? DEFAULT_ETL_RECHECK_MS;
  let waited = 0;
  for (;;) {
    const { state, detail } = await dbtRunState(input.runDate);
    if (state === 'succeeded') return;
    if (state === 'failed') throw ApplicationFailure.nonRetryable(`The dbt run for ${input.runDate} did not succeed: ${detail}`, DBT_RUN_FAILED);
    if (state === 'missing') throw ApplicationFailure.nonRetryable(`No dbt run exists for ${input.runDate}: ${detail}`, DBT_RUN_MISSING);
    if (waited >= waitMs) {
      throw ApplicationFailure.nonRetryable(`The dbt run for ${input.runDate} was still running after ${Math.round(waitMs / 60_000)} min of waiting`, DBT_RUN_WAIT_TIMEOUT);
    }
    const slice = Math.min(recheckMs, waitMs - waited);
    reset(false);
    await condition(finished, slice);
    waited += slice;
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
