import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { classifyDbtFailure, failureSummary } from './classify';
import type { DbtRunner } from './runner';

export interface DbtActivityDeps {
  runner: DbtRunner;
  /** Root of the per-run artifact folders (target paths, logs). */
  artifactsDir: string;
}

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
  };
}
