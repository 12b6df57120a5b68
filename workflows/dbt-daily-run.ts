// The daily dbt run for one date: waits for Flink (child workflow flinkGate), then one
// `dbt build` into the audit schema, retried by failure class, then publishes the day. Its
// life (ledger, skip, SLA, the one alert per incident) is the shared run lifecycle.
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  executeChild,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FLINK_GATE_DEADLINE, NON_RETRYABLE_DBT_FAILURES } from '../src/core/failure-types';
import { dbtFailureLines, describeProgress } from '../src/core/describe';
import { flinkGate } from './flink-gate';
import { dbtSelector, PIPELINES } from '../src/core/pipelines';
import { DEFAULT_FLINK_GATE, DEFAULT_SLA_MS } from '../src/core/settings';
import { runLifecycle } from './lifecycle';
import { CUT_OPTIONS, dbtStepOptions, publishOptions } from './policies';
import { retrySettingsFor } from './retry-settings';
import { dbtRunFinishedSignal, workflowIds } from '../src/core/signals';
import {
  DBT_STEP_PROGRESS,
  type Alert,
  type DbtDailyRunInput,
  type DbtDailyRunResult,
  type DbtFailureDetails,
  type DbtStep,
  type DbtStepResult,
  type EventCut,
  type PublishResult,
} from '../src/core/types';

const PIPELINE = PIPELINES.dbt.name;
const TAG = PIPELINES.dbt.dbtTag;
const SELECTOR = dbtSelector(PIPELINES.dbt);
const { takeEventCut } = proxyActivities<Activities>(CUT_OPTIONS);

export async function dbtDailyRun(input: DbtDailyRunInput): Promise<DbtDailyRunResult> {
  const retry = await retrySettingsFor(input);
  const { runDbtStep } = proxyActivities<Activities>(dbtStepOptions(retry));
  const { publishDay } = proxyActivities<Activities>(publishOptions(retry));
  const startedAt = workflowInfo().startTime.toISOString();
  const steps: DbtStepResult[] = [];
  let slaMissed = false;
  const result = (status: 'succeeded' | 'skipped', finishedAt: string, extra: Partial<DbtDailyRunResult> = {}): DbtDailyRunResult => ({
    runDate: input.runDate,
    status,
    slaMet: !slaMissed,
    startedAt,
    finishedAt,
    steps,
    warnings: steps.flatMap((s) => s.warnings),
    ...extra,
  });

  return runLifecycle<DbtDailyRunResult>({
    pipeline: PIPELINE,
    input,
    sla: {
      ms: input.slaMs ?? DEFAULT_SLA_MS,
      title: (minutes, scheduled) => `SLA missed: dbt daily run for ${input.runDate} is not done ${minutes} min after ${scheduled.toISOString()}`,
      lines: (p) => [`Now: ${describeProgress(p, Date.now())}.`, p.failures.length ? `Failures so far: ${p.failures.join(', ')}` : 'No failures so far; the run continues.'],
    },
    skipped: (previous) => {
      const reason = `${input.runDate} already succeeded (run ${previous.runId}, finished ${previous.finishedAt}); start with force to run it again`;
      return { reason, result: result('skipped', startedAt, { reason }) };
    },
    work: async (run) => {
      await run.setStep('waiting-for-flink');
      await executeChild(flinkGate, {
        workflowId: workflowIds.flinkGate(input.runDate),
        args: [{ runDate: input.runDate, pipeline: PIPELINE, options: input.flinkGate ?? DEFAULT_FLINK_GATE, webUiLink: run.link }],
        parentClosePolicy: ParentClosePolicy.TERMINATE,
      });
      // The run reads one cut of the day's events, taken once: every model and test sees the same
      // rows, however many arrive while it builds; rows arriving later are restated later.
      const cut: EventCut = await takeEventCut({ runDate: input.runDate, trigger: input.trigger ?? 'manual' });
      // One dbt process builds the models and runs their tests in DAG order (a failing test stops
      // what depends on it).
      const step: DbtStep = 'build';
      await run.setStep(DBT_STEP_PROGRESS[step]);
      const built = await runDbtStep({ pipeline: PIPELINE, runDate: input.runDate, step, select: SELECTOR });
      steps.push(built);
      run.progress.attempt = built.attempt;
      // Only now, every error-severity test having passed on the audited rows, does the date
      // become visible in analytics: all models at once.
      await run.setStep('publishing');
      const published: PublishResult = await publishDay({ pipeline: PIPELINE, runDate: input.runDate, tag: TAG, cutId: cut.cutId });
      slaMissed = run.progress.slaMissed;
      return {
        attempts: Math.max(...steps.map((s) => s.attempt)),
        summary: { ...summaryOf(steps), published: published.models, cut: { id: cut.cutId, rows: cut.rows, seconds: cut.seconds } },
        result: (finishedAt) => result('succeeded', finishedAt, { published, cut }),
      };
    },
    explain: (err) => {
      const e = explainFailure(err, input.runDate);
      const title =
        input.trigger === 'restatement'
          ? `Restatement of ${input.runDate} failed, its published version stays: ${e.headline}`
          : `dbt daily run failed for ${input.runDate}: ${e.headline}`;
      return { ...e, title };
    },
    summaryOnFailure: () => summaryOf(steps),
    finished: (succeeded) => notifyEtl(input.runDate, succeeded),
  });
}

/** Wakes the date's daily ETL if it is waiting for this run; nobody waiting is fine. */
async function notifyEtl(runDate: string, succeeded: boolean): Promise<void> {
  try {
    await getExternalWorkflowHandle(workflowIds.dailyEtl(runDate)).signal(dbtRunFinishedSignal, { runDate, succeeded });
  } catch {
    // No ETL of that date is running: it will read the ledger when it starts.
  }
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

