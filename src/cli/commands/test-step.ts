// `roas test-step`: one step of a pipeline for one date, here and now, outside Temporal (as
// `airflow tasks test`): the worker's own activities, run in the SDK's mock activity
// environment, with no retries, no alerts and no ledger.
import path from 'node:path';
import { Command } from 'commander';
import type { DbtFailureDetails, DbtStepInput, DbtStepResult, ReportSummary } from '../../core/types';
import { DEFAULT_THRESHOLDS } from '../../core/validation-defaults';
import { parseRunDate } from '../../core/dates';
import { UsageError } from '../../core/errors';
import { requireEndedDay, shownPath, type CliContext } from './context';
import { dbtSelector, PIPELINES } from '../../core/pipelines';
import type { Activities } from '../../../activities';
import type { runAsActivity as RunAsActivity } from '../activity-context';

/** Where `roas test-step report` writes: a scratch folder, never the reports readers open. */
export function testStepReportsDir(localDir: string): string {
  return path.join(localDir, 'test-step', 'reports');
}


const STEPS = ['dbt-build', 'dbt-run', 'dbt-test', 'validate', 'report'] as const;
type Step = (typeof STEPS)[number];

/** What every trial step runs with: the activities, the way to run one, and its logger. */
interface Trial {
  activities: Activities;
  run: typeof RunAsActivity;
  logger: Parameters<typeof RunAsActivity>[2];
  runDate: string;
  ctx: CliContext;
}

export function testStepCommand(context: () => Promise<CliContext>): Command {
  return new Command('test-step')
    .description(
      'Run one step for one date in this process, without Temporal (as `airflow tasks test`): no retries, no alerts, no ledger; dbt steps never publish nor reload the seeds, and report writes to a scratch folder (.local/test-step/reports), never to the live reports.',
    )
    .argument('<step>', `${STEPS.join(', ')}`)
    .requiredOption('-d, --date <YYYY-MM-DD>', 'the run date')
    .option('--pipeline <pipeline>', 'for dbt steps: dbt (tag:daily_run) or etl (tag:daily_etl)', 'dbt')
    .action(async (step: string, opts: { date: string; pipeline: string }) => {
      if (!(STEPS as readonly string[]).includes(step)) throw new UsageError(`unknown step "${step}": choose one of ${STEPS.join(', ')}`);
      if (opts.pipeline !== 'dbt' && opts.pipeline !== 'etl') throw new UsageError(`--pipeline must be dbt or etl, not "${opts.pipeline}"`);
      // As `roas run` does: a step of a day that has not ended would work on part of a day.
      const runDate = requireEndedDay(parseRunDate(opts.date, '--date'));
      const ctx = await context();
      try {
        const trial = await startTrial(ctx, runDate);
        if (step === 'validate') await validateTrial(trial);
        else if (step === 'report') await reportTrial(trial);
        else await dbtTrial(trial, step as Step, opts.pipeline);
      } finally {
        await ctx.close();
      }
    });
}

/** The activities as the worker creates them: dbt and publishing as the transform role, the report as the reporting role. */
async function startTrial(ctx: CliContext, runDate: string): Promise<Trial> {
  const [{ runAsActivity }, { createActivities }, { createDbtRunner }, { venvTools }, { sdkLogger }] = await Promise.all([
    import('../activity-context'),
    import('../../../activities'),
    import('../../../activities/dbt/runner'),
    import('../../platform/tools'),
    import('../../platform/logger'),
  ]);
  const activities = createActivities({
    runner: createDbtRunner({
      dbtBin: venvTools(ctx.config.venvDir).dbt,
      projectDir: ctx.config.dbt.projectDir,
      databaseUrl: await ctx.url('transform'),
      role: ctx.config.postgres.roles.analyticsOwner,
      threads: ctx.config.dbt.threads,
    }),
    publishPool: await ctx.pool('transform'),
    reportPool: await ctx.pool('reporting'),
    artifactsDir: path.join(ctx.config.dbt.artifactsDir, 'test-step'),
    // Never the live reports folder: a trial report goes to a scratch folder of its own.
    reportsDir: testStepReportsDir(ctx.config.localDir),
    dbtProjectDir: ctx.config.dbt.projectDir,
    pool: await ctx.pool(),
    slack: undefined,
    channel: ctx.config.slack.channel,
    log: ctx.log,
    workflowStatus: () => Promise.resolve(null),
    temporal: undefined as never,
  });
  // Its own "Activity failed" lines would repeat, with a stack, what is printed below.
  return { activities, run: runAsActivity, logger: sdkLogger(ctx.log, 'ERROR'), runDate, ctx };
}

/** dbt-build is what a run does (models and tests in one process); dbt-run and dbt-test do each half. */
async function dbtTrial({ activities, run, logger, runDate }: Trial, step: Step, pipeline: string): Promise<void> {
  const key = pipeline === 'etl' ? 'etl' : 'dbt';
  const input: DbtStepInput = {
    pipeline: PIPELINES[key].name,
    runDate,
    step: step === 'dbt-build' ? 'build' : step === 'dbt-run' ? 'run' : 'test',
    select: dbtSelector(PIPELINES[key]),
    // The seeds (campaigns, FX rates) are published tables: a trial reads them, never reloads them.
    keepSeeds: true,
  };
  let r: DbtStepResult;
  try {
    // A run reads the cut of the day's events it takes first; so does this step.
    if (key === 'dbt' && input.step !== 'test') {
      const cut = await run('takeEventCut', () => activities.takeEventCut({ runDate, trigger: 'manual', runId: `test-step-${Date.now().toString(36)}` }), logger);
      console.log(`cut of ${runDate}: ${cut.rows} rows (${cut.seconds}s)`);
    }
    r = await run('runDbtStep', () => activities.runDbtStep(input), logger);
  } catch (err) {
    // A failed step: what `roas status` and the alert would say, not the testing library's internals.
    const failure = err as { type?: string; message?: string; details?: unknown[] };
    const details = failure.details?.[0] as DbtFailureDetails | undefined;
    if (!details?.reproduce) throw err;
    const { dbtFailureLines } = await import('../../core/describe');
    console.error(`failed: ${failure.message ?? 'dbt step failed'}`);
    for (const line of dbtFailureLines(failure.type ?? 'Error', details, 'run-once')) console.error(`  ${line}`);
    process.exitCode = 1;
    return;
  }
  const { readRunResults } = await import('../../artifacts/run-results');
  for (const n of readRunResults(r.targetPath)?.nodes ?? []) console.log(`${n.status.padEnd(8)} ${n.name}${n.failures ? ` (${n.failures} rows)` : ''}`);
  console.log(`dbt ${r.dbtSeconds.toFixed(1)}s; artifacts ${r.targetPath}`);
}

async function validateTrial({ activities, run, logger, runDate }: Trial): Promise<void> {
  const checks = await run('validateSourceData', () => activities.validateSourceData(runDate, DEFAULT_THRESHOLDS), logger);
  for (const c of checks) console.log(`${c.status.padEnd(5)} ${c.name}: ${c.detail}`);
  if (checks.some((c) => c.status === 'fail')) process.exitCode = 1;
}

async function reportTrial({ activities, run, logger, runDate, ctx }: Trial): Promise<void> {
  let r: ReportSummary;
  try {
    // The day's checks, read only, so the trial's validation.csv says what the real one would.
    const checks = await run('validateSourceData', () => activities.validateSourceData(runDate, DEFAULT_THRESHOLDS), logger);
    r = await run('generateReport', () => activities.generateReport(runDate, checks), logger);
  } catch (err) {
    // A refusal that says what to do (a day with no data): its message, not a stack.
    const failure = err as { name?: string; message?: string };
    if (failure.name !== 'ApplicationFailure') throw err;
    console.error(`failed: ${failure.message}`);
    process.exitCode = 1;
    return;
  }
  console.log(`report (a trial in a scratch folder; ${path.join(path.basename(ctx.config.reportsDir), runDate)}/ is unchanged): ${shownPath(r.htmlPath)}`);
}
