// The life of one pipeline run, the same for the dbt run and the daily ETL: its date checked,
// its search attributes and progress query, "already succeeded" skips, the run ledger, an
// optional SLA timer racing the work, and on failure one alert and the ledger's last word. Each
// workflow passes only what is its own: its steps, its SLA, how it explains a failure.
import { CancellationScope, isCancellation, proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PipelineName } from '../src/core/pipelines';
import type { Alert, DbtDailyRunProgress, LedgerStart } from '../src/core/types';
import { requireValidRunDate } from './input';
import { ALERT_OPTIONS, BOOKKEEPING_OPTIONS } from './policies';
import { runLink, trackProgress } from './progress';

const { findSucceededRun, recordRunSkipped, recordRunStarted, updateRun } = proxyActivities<Activities>(BOOKKEEPING_OPTIONS);
const { sendAlert } = proxyActivities<Activities>(ALERT_OPTIONS);

export interface RunInput {
  runDate: string;
  force?: boolean;
  trigger?: string;
  scheduledTime?: string;
  webUiUrl?: string;
  namespace?: string;
}

/** What the work of a run sees: its progress, its Web UI link, and a way to enter a step (recorded in the ledger). */
export interface Run {
  progress: DbtDailyRunProgress;
  link?: string;
  scheduled: Date;
  setStep(step: DbtDailyRunProgress['step']): Promise<void>;
}

export interface Succeeded<R> {
  result: (finishedAt: string) => R;
  attempts: number;
  summary: Record<string, unknown>;
}

export interface Explained {
  type: string;
  headline: string;
  title: string;
  lines: string[];
  attempts?: number;
  /** The failure already raised its own alert (the Flink gate at its deadline). */
  alertedAlready?: boolean;
  failingNodesOf?: Alert['failingNodesOf'];
}

export interface Lifecycle<R> {
  pipeline: PipelineName;
  input: RunInput;
  /** The SLA: the run is due this long after its scheduled time; a miss alerts once and the work goes on. */
  sla?: { ms: number; title: (minutes: number, scheduled: Date) => string; lines: (p: DbtDailyRunProgress) => string[] };
  skipped: (previous: { runId: string; finishedAt: string }) => { reason: string; result: R };
  work: (run: Run) => Promise<Succeeded<R>>;
  explain: (err: unknown, failedAt: DbtDailyRunProgress['step']) => Explained;
  /** The ledger summary of a run that failed or was cancelled. */
  summaryOnFailure: () => Record<string, unknown>;
  /** After the ledger's last word, succeeded or not (the dbt run wakes the date's ETL). */
  finished?: (succeeded: boolean) => Promise<void>;
}

export async function runLifecycle<R>(def: Lifecycle<R>): Promise<R> {
  const { input, pipeline } = def;
  requireValidRunDate(input.runDate);
  const info = workflowInfo();
  const scheduled = input.scheduledTime ? new Date(input.scheduledTime) : info.startTime;
  const slaDeadline = def.sla ? new Date(scheduled.getTime() + def.sla.ms) : undefined;
  const progress = trackProgress(input.runDate, slaDeadline, { pipeline, trigger: input.trigger });
  const ids = { workflowId: info.workflowId, runId: info.runId };
  const ledgerStart: LedgerStart = { ...ids, pipeline, runDate: input.runDate, trigger: input.trigger ?? 'manual', scheduledAt: scheduled.toISOString() };

  if (!input.force) {
    const previous = await findSucceededRun(pipeline, input.runDate);
    if (previous) {
      progress.step = 'skipped';
      const { reason, result } = def.skipped(previous);
      await recordRunSkipped({ ...ledgerStart, reason });
      return result;
    }
  }
  await recordRunStarted(ledgerStart);

  const link = runLink(input.webUiUrl, input.namespace);
  const sla = startSlaTimer(def, progress, scheduled, slaDeadline, link);
  const run: Run = {
    progress,
    link,
    scheduled,
    async setStep(step) {
      progress.step = step;
      progress.stepSince = new Date().toISOString();
      progress.nodesDone = 0;
      progress.nodesTotal = 0;
      progress.attempt = 0;
      await updateRun({ ...ids, currentStep: step });
    },
  };
  try {
    const done = await def.work(run);
    await sla.stop();
    progress.step = 'succeeded';
    const slaMet = def.sla ? !progress.slaMissed : undefined;
    const { finishedAt } = await updateRun({ ...ids, status: 'succeeded', currentStep: 'succeeded', attempts: done.attempts, slaMet, summary: done.summary, finished: true });
    await def.finished?.(true);
    return done.result(finishedAt ?? info.startTime.toISOString());
  } catch (err) {
    await sla.stop();
    if (isCancellation(err)) {
      // Cancelled by an operator: no alert; the ledger says so, from a scope the cancellation cannot reach.
      progress.step = 'cancelled';
      await CancellationScope.nonCancellable(() => updateRun({ ...ids, status: 'cancelled', currentStep: 'cancelled', summary: def.summaryOnFailure(), finished: true }));
      throw err;
    }
    await failRun(def, err, progress, link);
    await def.finished?.(false);
    throw err;
  }
}

/** A run that failed: one alert (unless its failure alerted already), then the ledger's last word. */
async function failRun<R>(def: Lifecycle<R>, err: unknown, progress: DbtDailyRunProgress, link: string | undefined): Promise<void> {
  const info = workflowInfo();
  const failedAt = progress.step;
  progress.step = 'failed';
  const explained = def.explain(err, failedAt);
  if (!explained.alertedAlready) {
    await sendAlert({
      incidentKey: `${info.workflowId}:${info.runId}:failure`,
      kind: 'failure',
      pipeline: def.pipeline,
      runDate: def.input.runDate,
      title: explained.title,
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
    slaMet: def.sla ? !progress.slaMissed : undefined,
    errorType: explained.type,
    error: explained.headline,
    summary: def.summaryOnFailure(),
    finished: true,
  });
}

/** The SLA timer races the work: when it fires, one alert goes out and the work goes on. */
function startSlaTimer<R>(def: Lifecycle<R>, progress: DbtDailyRunProgress, scheduled: Date, deadline: Date | undefined, link: string | undefined): { stop(): Promise<void> } {
  if (!def.sla || !deadline) return { stop: () => Promise.resolve() };
  const sla = def.sla;
  const info = workflowInfo();
  const scope = new CancellationScope();
  const timer = scope
    .run(async () => {
      const remaining = deadline.getTime() - info.startTime.getTime();
      if (remaining > 0) await sleep(remaining);
      progress.slaMissed = true;
      await sendAlert({
        incidentKey: `${info.workflowId}:${info.runId}:sla_miss`,
        kind: 'sla_miss',
        pipeline: def.pipeline,
        runDate: def.input.runDate,
        title: sla.title(Math.round(sla.ms / 60_000), scheduled),
        lines: sla.lines(progress),
        link,
        progressOf: info.workflowId,
      });
      await updateRun({ workflowId: info.workflowId, runId: info.runId, slaMet: false });
    })
    .catch((err: unknown) => {
      if (!isCancellation(err)) throw err;
    });
  return {
    async stop() {
      scope.cancel();
      await timer;
    },
  };
}
