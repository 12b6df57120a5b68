import path from 'node:path';
import { Command } from 'commander';
import type { DbtFailureDetails, DbtStepInput, DbtStepResult, ReportSummary, ValidationCheck } from '../../core/types';
import { DEFAULT_THRESHOLDS } from '../../core/validation-defaults';
import { parseRunDate } from '../../core/dates';
import { UsageError } from '../../core/errors';
import { requireEndedDay, type CliContext } from './context';
import { dbtSelector, PIPELINES } from '../../core/pipelines';

/** Check the pipeline definitions without running anything. */
export function validateCommand(context: () => Promise<CliContext>): Command {
  return new Command('validate')
    .description('Check the pipeline definitions: bundle the workflows (Temporal rejects non-deterministic imports) and parse the dbt project.')
    .action(async () => {
      const ctx = await context();
      const [{ bundleWorkflowCode, DefaultLogger }, { createDbtRunner }, { venvTools }, { WORKFLOWS_PATH }] = await Promise.all([
        import('@temporalio/worker'),
        import('../../../activities/dbt/runner'),
        import('../../platform/tools'),
        import('../../platform/build-paths'),
      ]);
      const problems: string[] = [];
      try {
        await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger('ERROR') });
        console.log('ok   workflows bundle (deterministic sandbox)');
      } catch (err) {
        problems.push(`workflows: ${(err as Error).message}`);
      }
      const url = await ctx.url('owner').catch(() => 'postgres://roas@127.0.0.1:5432/marketing_roas');
      const runner = createDbtRunner({ dbtBin: venvTools(ctx.config.venvDir).dbt, projectDir: ctx.config.dbt.projectDir, databaseUrl: url, threads: 1 });
      const parsed = await runner({
        command: 'parse',
        targetPath: path.join(ctx.config.dbt.artifactsDir, 'checks', 'parse'),
      });
      if (parsed.exitCode === 0) console.log('ok   dbt project parses (models, tests, sources, seeds)');
      else problems.push(`dbt parse failed: ${parsed.notable.filter((e) => e.level === 'error').map((e) => e.msg).join(' ') || parsed.rawOutput}`);
      for (const p of problems) console.error(`FAIL ${p}`);
      if (problems.length) process.exitCode = 1;
    });
}

/** Where `roas test-step report` writes: a scratch folder, never the reports readers open. */
export function testStepReportsDir(localDir: string): string {
  return path.join(localDir, 'test-step', 'reports');
}

/** A path as the user typed it from here: relative when it is below the current folder. */
function shown(p: string): string {
  const relative = path.relative(process.cwd(), p);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : p;
}

const STEPS = ['dbt-build', 'dbt-run', 'dbt-test', 'validate', 'report'] as const;

/** One step of a pipeline for one date, here and now, outside Temporal (no retries, no alerts). */
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
      const [{ runAsActivity }, { createActivities }, { createDbtRunner }, { venvTools }] = await Promise.all([
        import('../activity-context'),
        import('../../../activities'),
        import('../../../activities/dbt/runner'),
        import('../../platform/tools'),
      ]);
      try {
        const pool = await ctx.pool();
        // As the worker runs it: dbt and publishing as the transform role, the report as the reporting role.
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
          pool,
          slack: undefined,
          channel: ctx.config.slack.channel,
          log: ctx.log,
          workflowStatus: () => Promise.resolve(null),
          temporal: undefined as never,
        });
        // Its own "Activity failed" lines would repeat, with a stack, what is printed below.
        const { sdkLogger } = await import('../../platform/logger');
        const logger = sdkLogger(ctx.log, 'ERROR');
        if (step === 'dbt-build' || step === 'dbt-run' || step === 'dbt-test') {
          const input: DbtStepInput = {
            pipeline: PIPELINES[opts.pipeline].name,
            runDate,
            // dbt-build is what a run does (models and tests in one process); dbt-run and dbt-test do each half.
            step: step === 'dbt-build' ? 'build' : step === 'dbt-run' ? 'run' : 'test',
            select: dbtSelector(PIPELINES[opts.pipeline]),
            // The seeds (campaigns, FX rates) are published tables: a trial reads them, never reloads them.
            keepSeeds: true,
          };
          let r: DbtStepResult;
          try {
            // A run reads the cut of the day's events it takes first; so does this step.
            if (opts.pipeline === 'dbt' && input.step !== 'test') {
              const cut = await runAsActivity('takeEventCut', () => activities.takeEventCut({ runDate, trigger: 'manual', runId: `test-step-${Date.now().toString(36)}` }), logger);
              console.log(`cut of ${runDate}: ${cut.rows} rows (${cut.seconds}s)`);
            }
            r = await runAsActivity('runDbtStep', () => activities.runDbtStep(input), logger);
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
        } else if (step === 'validate') {
          const checks: ValidationCheck[] = await runAsActivity('validateSourceData', () => activities.validateSourceData(runDate, DEFAULT_THRESHOLDS), logger);
          for (const c of checks) console.log(`${c.status.padEnd(5)} ${c.name}: ${c.detail}`);
          if (checks.some((c) => c.status === 'fail')) process.exitCode = 1;
        } else {
          let r: ReportSummary;
          try {
            // The day's checks, read only, so the trial's validation.csv says what the real one would.
            const checks = await runAsActivity('validateSourceData', () => activities.validateSourceData(runDate, DEFAULT_THRESHOLDS), logger);
            r = await runAsActivity('generateReport', () => activities.generateReport(runDate, checks), logger);
          } catch (err) {
            // A refusal that says what to do (a day with no data): its message, not a stack.
            const failure = err as { name?: string; message?: string };
            if (failure.name !== 'ApplicationFailure') throw err;
            console.error(`failed: ${failure.message}`);
            process.exitCode = 1;
            return;
          }
          console.log(`report (a trial in a scratch folder; ${path.join(path.basename(ctx.config.reportsDir), runDate)}/ is unchanged): ${shown(r.htmlPath)}`);
        }
      } finally {
        await ctx.close();
      }
    });
}
