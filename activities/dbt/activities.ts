import { existsSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import {
  DBT_COMPILATION_ERROR,
  DBT_MODEL_ERROR,
  DBT_NOTHING_SELECTED,
  DBT_TEST_FAILURE,
} from '../../src/core/failure-types';
import type { PipelineMetrics } from '../../src/metrics';
import { MAX_NODES_IN_HISTORY, type DbtFailureDetails, type DbtNodeCounts, type DbtNodeSummary, type DbtProgress, type DbtStepInput, type DbtStepResult } from '../../src/core/types';
import { classifyDbtFailure, failureSummary } from './classify';
import { FAILED_STATUSES, readRunResults, type DbtNodeResult } from './run-results';
import type { DbtLogEvent, DbtRunner } from './runner';

export interface DbtActivityDeps {
  runner: DbtRunner;
  /** Root of the per-run artifact folders (target paths, logs). */
  artifactsDir: string;
  /** Cancels whatever a killed dbt left running in PostgreSQL, by application_name. */
  cancelQueries?: (applicationName: string) => Promise<number>;
  /** Ends the PostgreSQL sessions still open under these application names (a dead worker's dbt). */
  terminateSessions?: (applicationNames: string[]) => Promise<number>;
  metrics?: PipelineMetrics;
}

export interface DbtConnectionCheck {
  dbtVersion: string;
  durationMs: number;
  targetPath: string;
}

const RESULT_EVENTS = new Set(['LogModelResult', 'LogTestResult', 'LogSeedResult', 'LogSnapshotResult', 'LogNodeNoOpResult']);
const FAILED = FAILED_STATUSES;
/** Statuses a retry need not run again (a warn-severity test that found rows has passed). */
const PASSED = new Set(['success', 'pass', 'warn']);

/** A dbt step's heartbeat details: its progress and the nodes that passed so far. */
interface StepHeartbeat extends DbtProgress {
  passed: DbtNodeSummary[];
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

/** A quoted command line is what a person pastes to reproduce. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

export function createDbtActivities(deps: DbtActivityDeps) {
  return {
    /** `dbt debug`: dbt is installed, the project and profile parse, and PostgreSQL answers. */
    async checkDbtConnection(): Promise<DbtConnectionCheck> {
      const targetPath = path.join(deps.artifactsDir, 'checks', 'debug');
      const result = await deps.runner({ command: 'debug', targetPath, applicationName: 'roas-dbt-debug' });
      if (result.exitCode !== 0) {
        const type = classifyDbtFailure(result);
        throw ApplicationFailure.create({
          type,
          message: `dbt debug failed (exit ${result.exitCode}): ${failureSummary(result)}`,
          details: [{ command: ['dbt', ...result.args].join(' '), targetPath }],
        });
      }
      return { dbtVersion: result.dbtVersion ?? 'unknown', durationMs: result.durationMs, targetPath };
    },

    /**
     * One dbt step (`dbt run` or `dbt test`) for one date, as one dbt process. A retry re-runs
     * only what did not pass on the earlier attempts (the nodes that failed, were skipped or never
     * ran), as `dbt retry` does, whichever worker ran them: the nodes that passed travel in the
     * step's heartbeat details, and the earlier attempts' run_results.json add what they know
     * when they are on this machine. Artifacts of every run and attempt stay under
     * <artifactsDir>/<pipeline>/<runDate>/<step>/run-<run id>/attempt-N.
     */
    async runDbtStep(input: DbtStepInput): Promise<DbtStepResult> {
      const ctx = Context.current();
      const { attempt } = ctx.info;
      // Each run of the date keeps its own folder (a forced re-run never overwrites the failed
      // run's artifacts), named by when the step was first scheduled (the same for every attempt)
      // and the run's ID, so the folders sort by time.
      const stepDir = path.join(
        deps.artifactsDir,
        input.pipeline,
        input.runDate,
        input.step,
        runFolder(ctx.info.scheduledTimestampMs, ctx.info.workflowExecution?.runId ?? 'standalone'),
      );
      const targetPath = path.join(stepDir, `attempt-${attempt}`);
      const passedBefore = attempt > 1 ? passedEarlier(ctx.info.heartbeatDetails, stepDir, attempt) : [];
      const select = input.select;
      // The build step loads the seeds (campaigns, FX rates), builds the models and runs their
      // data tests in one dbt process, in DAG order (a failing test skips what depends on it).
      // The older run and test steps do the first two and the last apart. Unit tests are for CI,
      // and `cautious` keeps out tests that also read models of the other pipeline.
      const command = input.step === 'test' ? 'test' : 'build';
      const exclude = [...(input.step === 'run' ? [] : ['test_type:unit']), ...passedBefore.map((n) => n.name)];
      const extraArgs = [
        ...(input.step === 'run' ? ['--resource-type', 'seed', '--resource-type', 'model'] : ['--indirect-selection', 'cautious']),
        ...(exclude.length ? ['--exclude', ...exclude] : []),
      ];
      const applicationName = `roas-${input.runDate}-${input.step}-a${attempt}`;
      // An earlier attempt is over as far as Temporal is concerned, but a worker killed with -9
      // leaves its dbt running: end its sessions before this attempt writes the same date.
      // (The per-model date lock already keeps the rows right; this stops the wasted work.)
      if (attempt > 1 && deps.terminateSessions) {
        const earlier = Array.from({ length: attempt - 1 }, (_, i) => `roas-${input.runDate}-${input.step}-a${i + 1}`);
        await deps.terminateSessions(earlier).catch(() => 0);
      }
      const commandLine = [`ROAS_RUN_DATE=${input.runDate}`, 'dbt', command, '--select', ...select, ...extraArgs];

      const progress: DbtProgress = { step: input.step, attempt, nodesDone: 0, nodesTotal: 0, failures: [] };
      // What a retry on any worker needs: every node that passed, on this attempt or before.
      const passed: DbtNodeSummary[] = [...passedBefore];
      // Progress travels in the heartbeat details only (Temporal throttles them; no history
      // event per node): `roas run --wait`, `status` and the SLA alert read the last one.
      const beat = () => ctx.heartbeat({ ...progress, passed } satisfies StepHeartbeat);
      const report = (_force = false) => beat();
      const onEvent = (event: DbtLogEvent) => {
        if (event.name === 'ConcurrencyLine' && typeof event.data.node_count === 'number') {
          progress.nodesTotal = event.data.node_count;
          report(true);
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
          report();
        }
      };
      // Heartbeat even while dbt is silent (parsing, a long model), so a dead worker is noticed
      // and a live one is not.
      const keepAlive = setInterval(beat, 10_000);
      let result;
      try {
        result = await deps.runner(
          { command, targetPath, select, runDate: input.runDate, extraArgs, applicationName, signal: ctx.cancellationSignal },
          onEvent,
        );
      } finally {
        clearInterval(keepAlive);
        if (ctx.cancellationSignal.aborted) await deps.cancelQueries?.(applicationName).catch(() => 0);
      }
      report(true);

      const run = readRunResults(targetPath);
      deps.metrics?.dbtStep(
        { pipeline: input.pipeline, step: input.step, outcome: result.exitCode === 0 ? 'success' : result.cancelled ? 'cancelled' : 'failure' },
        result.durationMs / 1000,
        attempt,
        (run?.nodes ?? []).filter((n) => n.resourceType === 'model').reduce((sum, n) => sum + (n.rowsAffected ?? 0), 0),
      );
      const ranNodes = (run?.nodes ?? []).map(summarize);
      // Nodes that passed on an earlier attempt stay in the result as they were.
      const carried = passedBefore.filter((n) => !ranNodes.some((r) => r.name === n.name));
      const nodes = [...carried, ...ranNodes];
      const warnings = nodes.filter((n) => n.status === 'warn');
      const reproduce = `cd dbt && ${commandLine.map(shellQuote).join(' ')} --profiles-dir .`;
      const stepResult: DbtStepResult = {
        step: input.step,
        attempt,
        command: commandLine.map(shellQuote).join(' '),
        targetPath,
        dbtSeconds: run?.elapsedSeconds ?? 0,
        wallSeconds: result.durationMs / 1000,
        // Counts and a few names only: the history of every run carries this result (and its
        // parent's and the launcher's), and run_results.json has every node.
        nodeCounts: countNodes(nodes, carried.length),
        warnings: warnings.slice(0, MAX_NODES_IN_HISTORY),
      };

      if (result.cancelled || ctx.cancellationSignal.aborted) {
        throw new CancelledFailure(`dbt ${input.step} for ${input.runDate} was cancelled; its process and queries were stopped`);
      }
      const nothingSelected = result.notable.some((e) => e.name === 'NothingToDo' || e.name === 'NoNodesForSelectionCriteria');
      // Everything passed on earlier attempts (a worker died after its dbt finished): nothing is left to run.
      if (result.exitCode === 0 && ranNodes.length === 0 && passedBefore.length > 0) return stepResult;
      if (result.exitCode === 0 && (nothingSelected || ranNodes.length === 0)) {
        throw failure(DBT_NOTHING_SELECTED, `dbt ${input.step} --select ${select.join(' ')} matched no node`, {
          step: input.step,
          attempt,
          failingNodes: [],
          reproduce,
          targetPath,
          summary: 'The selection matched nothing: check the selectors and that the project parses.',
        });
      }
      if (result.exitCode === 0) return stepResult;

      const failing = ranNodes.filter((n) => FAILED.has(n.status));
      const details: DbtFailureDetails = {
        step: input.step,
        attempt,
        failingNodes: failing.slice(0, MAX_NODES_IN_HISTORY),
        failingNodeCount: failing.length,
        reproduce,
        targetPath,
        summary: failing.length ? failingSummary(failing) : failureSummary(result),
      };
      // A dbt that could not reach the database fails its nodes with connection errors, or dies
      // before writing run_results at all: both are worth a retry.
      const infraType = classifyDbtFailure({ ...result, rawOutput: result.rawOutput + '\n' + failing.map((n) => n.message ?? '').join('\n') });
      if (infraType !== DBT_COMPILATION_ERROR) throw failure(infraType, `dbt ${input.step} could not finish: ${firstLine(details.summary)}`, details);
      if (failing.some((n) => n.status === 'fail')) {
        const names = failing.filter((n) => n.status === 'fail').map((n) => `${n.name} (${n.failures ?? '?'} rows)`);
        throw failure(DBT_TEST_FAILURE, `dbt test failed: ${names.join(', ')}`, details);
      }
      if (failing.length) throw failure(DBT_MODEL_ERROR, `dbt ${input.step} failed: ${failing.map((n) => n.name).join(', ')}`, details);
      throw failure(DBT_COMPILATION_ERROR, `dbt ${input.step} failed before running any node: ${firstLine(details.summary)}`, details);
    },
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
