// One dbt step of a run, in three named parts: plan (what to run, where its artifacts go, what
// earlier attempts already passed), invoke (dbt as one process, its progress in the heartbeat),
// interpret (run_results.json into a typed result, or the failure class that decides retries).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure, type Context, type Info } from '@temporalio/activity';
import { DBT_COMPILATION_ERROR, DBT_MODEL_ERROR, DBT_NOTHING_SELECTED, DBT_TEST_FAILURE } from '../../src/core/failure-types';
import { MAX_NODES_IN_HISTORY, type DbtFailureDetails, type DbtNodeCounts, type DbtNodeSummary, type DbtProgress, type DbtStepInput, type DbtStepResult } from '../../src/core/types';
import { causeOf, dbtByHandCommand, shellQuote } from '../../src/core/describe';
import { FAILED_STATUSES, readRunResults, type DbtNodeResult } from '../../src/artifacts/run-results';
import { classifyDbtFailure, failureSummary } from './classify';
import type { PipelineMetrics } from '../../src/platform/metrics';
import type { DbtLogEvent, DbtProcessResult, DbtRunner } from './runner';
import type { ObserverDeps } from '../observers';

const RESULT_EVENTS = new Set(['LogModelResult', 'LogTestResult', 'LogSeedResult', 'LogSnapshotResult', 'LogNodeNoOpResult']);
const FAILED = FAILED_STATUSES;
/** Statuses a retry need not run again (a warn-severity test that found rows has passed). */
const PASSED = new Set(['success', 'pass', 'warn']);

/** A dbt step's heartbeat details: its progress and the nodes that passed so far. */
interface StepHeartbeat extends DbtProgress {
  passed: DbtNodeSummary[];
}

/** What the dbt activities are created with (by the worker, or the CLI's test-step). */
export interface DbtActivityDeps extends ObserverDeps {
  runner: DbtRunner;
  /** Root of the per-run artifact folders (target paths, logs). */
  artifactsDir: string;
  /** Cancels whatever a killed dbt left running in PostgreSQL, by application_name. */
  cancelQueries?: (applicationName: string) => Promise<number>;
  /** Ends the PostgreSQL sessions still open under these application names (a dead worker's dbt). */
  terminateSessions?: (applicationNames: string[]) => Promise<number>;
  metrics?: PipelineMetrics;
}

/** What one attempt of a step runs, and where. */
export interface DbtStepPlan {
  input: DbtStepInput;
  attempt: number;
  targetPath: string;
  passedBefore: DbtNodeSummary[];
  command: 'build' | 'test';
  extraArgs: string[];
  applicationName: string;
  commandLine: string[];
  reproduce: string;
}

/**
 * A retry re-runs only what did not pass on the earlier attempts (the nodes that failed, were
 * skipped or never ran), as `dbt retry` does, whichever worker ran them. Each run of the date
 * keeps its own artifact folder, named by when the step was first scheduled and the run's ID.
 */
export async function planDbtStep(deps: DbtActivityDeps, input: DbtStepInput, info: Info): Promise<DbtStepPlan> {
  const { attempt } = info;
  const stepDir = path.join(deps.artifactsDir, input.pipeline, input.runDate, input.step, runFolder(info.scheduledTimestampMs, info.workflowExecution?.runId ?? 'standalone'));
  const passedBefore = attempt > 1 ? passedEarlier(info.heartbeatDetails, stepDir, attempt) : [];
  // The build step loads the seeds, builds the models and runs their data tests in one dbt
  // process, in DAG order (a failing test skips what depends on it). Unit tests are for CI, and
  // `cautious` keeps out tests that also read models of the other pipeline.
  const command = input.step === 'test' ? 'test' : 'build';
  const exclude = [...(input.step === 'run' ? [] : ['test_type:unit']), ...(input.keepSeeds ? ['resource_type:seed'] : []), ...passedBefore.map((n) => n.name)];
  const extraArgs = [
    ...(input.step === 'run' ? ['--resource-type', 'seed', '--resource-type', 'function', '--resource-type', 'model'] : ['--indirect-selection', 'cautious']),
    ...(exclude.length ? ['--exclude', ...exclude] : []),
  ];
  // A worker killed with -9 leaves its dbt running: end its sessions before this attempt writes
  // the same date (the per-model date lock already keeps the rows right; this stops the waste).
  if (attempt > 1 && deps.terminateSessions) {
    const earlier = Array.from({ length: attempt - 1 }, (_, i) => `roas-${input.runDate}-${input.step}-a${i + 1}`);
    await deps.terminateSessions(earlier).catch(() => 0);
  }
  return {
    input,
    attempt,
    targetPath: path.join(stepDir, `attempt-${attempt}`),
    passedBefore,
    command,
    extraArgs,
    applicationName: `roas-${input.runDate}-${input.step}-a${attempt}`,
    commandLine: [`ROAS_RUN_DATE=${input.runDate}`, 'dbt', command, '--select', ...input.select, ...extraArgs],
    // `roas dbt` runs it as this step did: same dbt, server, role and date, its own artifacts.
    reproduce: dbtByHandCommand(input.runDate, [command, '--select', ...input.select, ...extraArgs]),
  };
}

/**
 * Runs dbt as one process. Progress travels in the heartbeat details only (Temporal throttles
 * them; no history event per node), with every node that passed so far, for a retry anywhere.
 */
export async function invokeDbtStep(deps: DbtActivityDeps, plan: DbtStepPlan, ctx: Context): Promise<{ result: DbtProcessResult; cancelled: boolean }> {
  const { input, attempt } = plan;
  const progress: DbtProgress = { step: input.step, attempt, nodesDone: 0, nodesTotal: 0, failures: [] };
  const passed: DbtNodeSummary[] = [...plan.passedBefore];
  const beat = () => ctx.heartbeat({ ...progress, passed } satisfies StepHeartbeat);
  const onEvent = (event: DbtLogEvent) => {
    if (event.name === 'ConcurrencyLine' && typeof event.data.node_count === 'number') {
      progress.nodesTotal = event.data.node_count;
      beat();
    } else if (RESULT_EVENTS.has(event.name)) {
      progress.nodesDone++;
      const status = String((event.data.status as string | undefined) ?? '');
      const nodeInfo = event.data.node_info as { node_name?: string } | undefined;
      const name = typeof event.data.name === 'string' ? event.data.name : (nodeInfo?.node_name ?? event.msg);
      if (FAILED.has(status) || event.level === 'error') progress.failures.push(name);
      // A model or seed that worked reports its adapter message ("SELECT 100") as its status.
      else if (event.name === 'LogTestResult' ? PASSED.has(status) : event.name !== 'LogNodeNoOpResult' && status !== 'skipped') {
        passed.push(nodeFromEvent(name, event.name === 'LogTestResult' ? status : 'success', event));
      }
      beat();
    }
  };
  // Heartbeat even while dbt is silent (parsing, a long model), so a dead worker is noticed and a live one is not.
  const keepAlive = setInterval(beat, 10_000);
  try {
    const result = await deps.runner(
      { command: plan.command, targetPath: plan.targetPath, select: input.select, runDate: input.runDate, extraArgs: plan.extraArgs, applicationName: plan.applicationName, signal: ctx.cancellationSignal },
      onEvent,
    );
    return { result, cancelled: result.cancelled || ctx.cancellationSignal.aborted };
  } finally {
    clearInterval(keepAlive);
    beat();
    if (ctx.cancellationSignal.aborted) await deps.cancelQueries?.(plan.applicationName).catch(() => 0);
  }
}

/** dbt's run_results.json as the step's typed result; a failure as its class, which decides retries. */
export function interpretDbtStep(deps: DbtActivityDeps, plan: DbtStepPlan, ran: { result: DbtProcessResult; cancelled: boolean }): DbtStepResult {
  const { input, attempt, targetPath, passedBefore, reproduce } = plan;
  const { result } = ran;
  const run = readRunResults(targetPath);
  deps.metrics?.dbtStep(
    { pipeline: input.pipeline, step: input.step, outcome: result.exitCode === 0 ? 'success' : ran.cancelled ? 'cancelled' : 'failure' },
    result.durationMs / 1000,
    attempt,
    (run?.nodes ?? []).filter((n) => n.resourceType === 'model').reduce((sum, n) => sum + (n.rowsAffected ?? 0), 0),
  );
  const ranNodes = (run?.nodes ?? []).map(summarize);
  // Nodes that passed on an earlier attempt stay in the result as they were.
  const carried = passedBefore.filter((n) => !ranNodes.some((r) => r.name === n.name));
  const nodes = [...carried, ...ranNodes];
  const stepResult: DbtStepResult = {
    step: input.step,
    attempt,
    command: plan.commandLine.map(shellQuote).join(' '),
    targetPath,
    dbtSeconds: run?.elapsedSeconds ?? 0,
    wallSeconds: result.durationMs / 1000,
    // Counts and a few names only: every run's history carries this result; run_results.json has every node.
    nodeCounts: countNodes(nodes, carried.length),
    warnings: nodes.filter((n) => n.status === 'warn').slice(0, MAX_NODES_IN_HISTORY),
  };
  if (ran.cancelled) throw new CancelledFailure(`dbt ${input.step} for ${input.runDate} was cancelled; its process and queries were stopped`);
  const nothingSelected = result.notable.some((e) => e.name === 'NothingToDo' || e.name === 'NoNodesForSelectionCriteria');
  // Everything passed on earlier attempts (a worker died after its dbt finished): nothing is left to run.
  if (result.exitCode === 0 && ranNodes.length === 0 && passedBefore.length > 0) return stepResult;
  if (result.exitCode === 0 && (nothingSelected || ranNodes.length === 0)) {
    throw failure(DBT_NOTHING_SELECTED, `dbt ${input.step} --select ${input.select.join(' ')} matched no node`, {
      step: input.step,
      attempt,
      failingNodes: [],
      reproduce,
      targetPath,
      summary: 'The selection matched nothing: check the selectors and that the project parses.',
    });
  }
  if (result.exitCode === 0) return stepResult;
  throw classifiedFailure(plan, result, ranNodes.filter((n) => FAILED.has(n.status)));
}

/** The failure of a step that ran: infrastructure (retried), failing tests, model errors, or a project that does not compile. */
function classifiedFailure(plan: DbtStepPlan, result: DbtProcessResult, failing: DbtNodeSummary[]): ApplicationFailure {
  const { input } = plan;
  const details: DbtFailureDetails = {
    step: input.step,
    attempt: plan.attempt,
    failingNodes: failing.slice(0, MAX_NODES_IN_HISTORY),
    failingNodeCount: failing.length,
    reproduce: plan.reproduce,
    targetPath: plan.targetPath,
    summary: failing.length ? failingSummary(failing) : failureSummary(result),
  };
  // A dbt that could not reach the database fails its nodes with connection errors, or dies
  // before writing run_results at all: both are worth a retry.
  const infraType = classifyDbtFailure({ ...result, rawOutput: result.rawOutput + '\n' + failing.map((n) => n.message ?? '').join('\n') });
  if (infraType !== DBT_COMPILATION_ERROR) return failure(infraType, `dbt ${input.step} could not finish: ${firstLine(details.summary)}`, details);
  if (failing.some((n) => n.status === 'fail')) {
    const names = failing.filter((n) => n.status === 'fail').map((n) => `${n.name} (${n.failures ?? '?'} rows)`);
    return failure(DBT_TEST_FAILURE, `dbt test failed: ${names.join(', ')}`, details);
  }
  if (failing.length) return failure(DBT_MODEL_ERROR, `dbt ${input.step} failed: ${failedWithCause(failing)}`, details);
  return failure(DBT_COMPILATION_ERROR, `dbt ${input.step} failed before running any node: ${firstLine(details.summary)}`, details);
}

function summarize(n: DbtNodeResult): DbtNodeSummary {
  return {
    name: n.name,
    resourceType: n.resourceType,
    status: n.status,
    failures: n.failures,
    message: n.message,
    executionSeconds: Math.round(n.executionSeconds * 1000) / 1000,
  };
}

/** The folder of one run's artifacts of a step: run-<when first scheduled, UTC>-<run ID>. */
export function runFolder(scheduledMs: number, runId: string): string {
  const stamp = new Date(Number.isFinite(scheduledMs) ? scheduledMs : 0).toISOString().replace(/[-:.]/g, '');
  return `run-${stamp}-${runId.replace(/[^\w-]/g, '_').slice(0, 36)}`;
}

function countNodes(nodes: DbtNodeSummary[], carried: number): DbtNodeCounts {
  const counts: DbtNodeCounts = { total: nodes.length, passed: 0, warned: 0, failed: 0, skipped: 0, carried };
  for (const n of nodes) {
    if (PASSED.has(n.status) || (n.resourceType !== 'test' && !FAILED.has(n.status) && n.status !== 'skipped')) counts.passed++;
    if (n.status === 'warn') counts.warned++;
    if (FAILED.has(n.status)) counts.failed++;
    if (n.status === 'skipped') counts.skipped++;
  }
  return counts;
}

/** The failing nodes with their messages, bounded: the rest are in run_results.json. */
function failingSummary(failing: DbtNodeSummary[]): string {
  const lines = failing.slice(0, MAX_NODES_IN_HISTORY).map((n) => `${n.name}: ${firstLine(n.message ?? n.status).slice(0, 300)}`);
  if (failing.length > MAX_NODES_IN_HISTORY) lines.push(`… and ${failing.length - MAX_NODES_IN_HISTORY} more (run_results.json)`);
  return lines.join('\n');
}

/** "stg_ad_events (Database Error: division by zero)": the first failing nodes, each with its cause. */
function failedWithCause(failing: DbtNodeSummary[]): string {
  const named = failing.slice(0, 3).map((n) => `${n.name} (${causeOf(n.message ?? n.status).slice(0, 200)})`);
  return [...named, ...(failing.length > 3 ? [`and ${failing.length - 3} more`] : [])].join(', ');
}

function failure(type: string, message: string, details: DbtFailureDetails): ApplicationFailure {
  return ApplicationFailure.create({ type, message, details: [details] });
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

/**
 * The nodes that passed on earlier attempts of the step: from the last heartbeat of the previous
 * attempt (whichever worker ran it), and from the run_results.json of earlier attempts when they
 * ran on this machine (a last heartbeat may have been throttled away).
 */
function passedEarlier(heartbeatDetails: unknown, stepDir: string, attempt: number): DbtNodeSummary[] {
  const merged = new Map<string, DbtNodeSummary>();
  for (let a = 1; a < attempt; a++) {
    const dir = path.join(stepDir, `attempt-${a}`);
    const run = existsSync(dir) ? readRunResults(dir) : undefined;
    for (const n of run?.nodes ?? []) {
      if (PASSED.has(n.status)) merged.set(n.name, summarize(n));
      else merged.delete(n.name);
    }
  }
  // The previous attempt's last heartbeat is the latest word, and carries the earlier passes too.
  const beat = heartbeatDetails as Partial<StepHeartbeat> | undefined;
  for (const n of Array.isArray(beat?.passed) ? beat.passed : []) {
    if (typeof n?.name === 'string' && PASSED.has(n.status)) merged.set(n.name, n);
  }
  return [...merged.values()];
}

/** A node's result as dbt's log event tells it, for the heartbeat. */
function nodeFromEvent(name: string, status: string, event: DbtLogEvent): DbtNodeSummary {
  const nodeInfo = event.data.node_info as { resource_type?: string } | undefined;
  const seconds = typeof event.data.execution_time === 'number' ? event.data.execution_time : 0;
  return {
    name,
    resourceType: nodeInfo?.resource_type ?? (event.name === 'LogTestResult' ? 'test' : 'model'),
    status,
    failures: typeof event.data.num_failures === 'number' ? event.data.num_failures : null,
    message: null,
    executionSeconds: Math.round(seconds * 1000) / 1000,
  };
}
