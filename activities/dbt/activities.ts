import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { DbtStepInput, DbtStepResult } from '../../src/core/types';
import { classifyDbtFailure, failureSummary } from './classify';
import { interpretDbtStep, invokeDbtStep, planDbtStep, type DbtActivityDeps } from './step';
import { tell } from '../observers';

export { runFolder, type DbtActivityDeps } from './step';


export interface DbtConnectionCheck {
  dbtVersion: string;
  durationMs: number;
  targetPath: string;
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
      const plan = await planDbtStep(deps, input, ctx.info);
      const started = {
        pipeline: input.pipeline,
        runDate: input.runDate,
        workflowId: ctx.info.workflowExecution?.workflowId ?? 'standalone',
        runId: ctx.info.workflowExecution?.runId ?? 'standalone',
        step: input.step,
        attempt: plan.attempt,
        targetPath: plan.targetPath,
        applicationName: plan.applicationName,
        at: new Date().toISOString(),
      };
      await tell(deps, 'dbtStepStarted', started);
      const ran = await invokeDbtStep(deps, plan, ctx);
      const { exitCode, durationMs, cancelled } = ran.result;
      const outcome = exitCode === 0 && !ran.cancelled ? 'success' : ran.cancelled ? 'cancelled' : 'failure';
      const error = outcome === 'failure' ? failureSummary(ran.result).split('\n').slice(0, 5).join('\n') : undefined;
      await tell(deps, 'dbtStepFinished', { ...started, outcome, exitCode, durationMs, process: { exitCode, durationMs, cancelled }, at: new Date().toISOString(), ...(error && { error }) });
      return interpretDbtStep(deps, plan, ran);
    },
  };
}
