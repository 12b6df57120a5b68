import path from 'node:path';
import { Command } from 'commander';
import type { CliContext } from './context';

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
