import { Command } from 'commander';
import { UsageError } from '../../core/errors';
import { clip } from '../../core/limits';
import type { CliContext } from './context';
import { requireSubcommand } from './subcommands';

/** `roas deploy status|promote`: the worker deployment's versions, and which one new runs go to. */
export function deployCommand(context: () => Promise<CliContext>): Command {
  const cmd = new Command('deploy').description(
    'Roll out a new worker version: workers started with ROAS_BUILD_ID are versions of one Worker Deployment ' +
      '(ROAS_DEPLOYMENT_NAME); new runs go to its current version, runs already started stay on theirs.',
  );
  cmd
    .command('status')
    .description('Each version of the deployment: current or not, and whether runs are still pinned to it (draining) or none are (drained).')
    .action(async () => {
      const ctx = await context();
      try {
        const { describeDeployment } = await import('../../client/deployment');
        const name = ctx.config.temporal.deploymentName;
        const client = await ctx.temporal();
        const view = await describeDeployment(client.workflowService, ctx.config.temporal.namespace, name);
        if (!view) {
          // An answer, not a failure: exit 0.
          console.log(noDeploymentLine(name, ctx.config.temporal.namespace));
          return;
        }
        console.log(`deployment ${name}: new runs go to ${view.currentBuildId ?? '(no current version)'}`);
        for (const v of view.versions) {
          const running = await countRunning(client, name, v.buildId);
          const role = v.current ? 'current' : v.ramping ? 'ramping' : v.status;
          console.log(
            `  ${v.buildId.padEnd(24)} ${role.padEnd(9)} ${v.drainage === 'unspecified' ? '' : v.drainage.padEnd(9)} ${running} run${running === 1 ? '' : 's'} open${v.createdAt ? `  (first seen ${v.createdAt.toISOString().slice(0, 19)}Z)` : ''}`,
          );
        }
      } finally {
        await ctx.close();
      }
    });
  cmd
    .command('promote')
    .description('Send new runs to this version (its workers must be running). Runs already started stay on the version that started them.')
    .argument('<build-id>', 'the version, as its workers were started with ROAS_BUILD_ID')
    .action(async (buildId: string) => {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(buildId)) throw new UsageError(`"${clip(buildId)}" is not a build ID (letters, digits, . _ -; at most 128)`);
      const ctx = await context();
      try {
        const { promoteVersion, describeDeployment } = await import('../../client/deployment');
        const name = ctx.config.temporal.deploymentName;
        const client = await ctx.temporal();
        const view = await describeDeployment(client.workflowService, ctx.config.temporal.namespace, name);
        if (!view?.versions.some((v) => v.buildId === buildId)) {
          const known = view?.versions.map((v) => v.buildId).join(', ') || 'none';
          throw new UsageError(`no worker of deployment "${name}" has run build ${buildId} yet (known: ${known}): start its workers first, then promote it`);
        }
        await promoteVersion(client.workflowService, ctx.config.temporal.namespace, { deploymentName: name, buildId }, 'roas-cli');
        console.log(`new runs now go to ${buildId}; runs already started finish on their version (see roas deploy status; stop an old version's workers once it says drained)`);
      } finally {
        await ctx.close();
      }
    });
  return requireSubcommand(cmd);
}

/** What `roas deploy status` says when the server has no such Worker Deployment (the local stack). */
export function noDeploymentLine(name: string, namespace: string): string {
  return (
    `No Worker Deployment "${name}" exists on this Temporal server (namespace ${namespace}): its workers run unversioned, ` +
    'as `npm start` and the tests run them, so every run goes to any worker of the task queue and there is nothing to promote; ' +
    'a worker started with ROAS_BUILD_ID set (compose sets it from the image tag) creates the deployment as its first version.'
  );
}

async function countRunning(client: Awaited<ReturnType<CliContext['temporal']>>, deploymentName: string, buildId: string): Promise<number> {
  try {
    const { count } = await client.workflow.count(`TemporalWorkerDeploymentVersion = "${deploymentName}:${buildId}" AND ExecutionStatus = "Running"`);
    return count;
  } catch {
    return 0;
  }
}
