// `roas dbt`: dbt by hand, exactly as the worker runs it. The same dbt (the project's venv), the
// same project and profile, the same server, port, login and role (the transform login acting as
// the owner of analytics, so what it builds belongs where the next run can replace it), the same
// run date; its own target path, so it never touches a run's artifacts. The arguments after `--`
// reach dbt as they are, as an argument array (no shell). Exits with dbt's exit code.
import { constants } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { parseBoundedDate } from '../../core/limits';
import { shownPath, type CliContext } from './context';

/** Where a by-hand dbt of a date keeps its target (manifest, run_results.json) and logs. */
export function byHandTargetPath(artifactsDir: string, runDate: string | undefined): string {
  return path.join(artifactsDir, 'by-hand', runDate ?? 'no-date', 'dbt', 'run-by-hand');
}

export function dbtCommand(context: () => Promise<CliContext>): Command {
  return new Command('dbt')
    .description(
      'Run dbt by hand as the worker runs it (its dbt, project, server, role and run date), with its own artifacts; exits with dbt\'s exit code.',
    )
    .usage('[--date YYYY-MM-DD] -- <dbt arguments...>')
    .argument('<dbt-arguments...>', 'what dbt gets, after `--` (e.g. build --select tag:daily_run)')
    .option('-d, --date <YYYY-MM-DD>', 'the run date the models work on (ROAS_RUN_DATE)')
    .showHelpAfterError("(dbt's own arguments go after `--`: roas dbt --date 2026-11-27 -- build --select tag:daily_run)")
    .addHelpText(
      'after',
      '\nExamples:\n  roas dbt --date 2026-11-27 -- build --select tag:daily_run\n  roas dbt --date 2026-11-27 -- test --select stg_ad_events\n  roas dbt -- debug',
    )
    .action(async (dbtArgs: string[], opts: { date?: string }) => {
      const runDate = opts.date === undefined ? undefined : parseBoundedDate(opts.date, '--date');
      const ctx = await context();
      try {
        process.exitCode = await runDbtByHand(ctx, runDate, dbtArgs);
      } finally {
        await ctx.close();
      }
    });
}

async function runDbtByHand(ctx: CliContext, runDate: string | undefined, dbtArgs: string[]): Promise<number> {
  const [{ existsSync, mkdirSync }, { execa }, { dbtEnvironment }, { venvTools }, { urlParts }, { BootstrapError }] =
    await Promise.all([
      import('node:fs'),
      import('execa'),
      import('../../../activities/dbt/dbt-env'),
      import('../../platform/tools'),
      import('../../platform/db/url'),
      import('../../core/errors'),
    ]);
  const { config } = ctx;
  const dbtBin = venvTools(config.venvDir).dbt;
  if (!existsSync(dbtBin)) {
    throw new BootstrapError('dbt is not installed in the project\'s venv (ROAS_VENV_DIR, default .venv): run `npm start` once, which installs it.');
  }
  // The worker's connection and role, as `roas test-step` and the worker itself use them.
  const databaseUrl = await ctx.url('transform');
  const role = config.postgres.roles.analyticsOwner;
  const targetPath = byHandTargetPath(config.dbt.artifactsDir, runDate);
  mkdirSync(targetPath, { recursive: true });
  const env = {
    ...dbtEnvironment({ databaseUrl, role, threads: config.dbt.threads }, { applicationName: `roas-by-hand-${runDate ?? 'no-date'}`, runDate, targetPath }),
    DBT_PROJECT_DIR: config.dbt.projectDir,
    DBT_PROFILES_DIR: config.dbt.projectDir,
    DBT_LOG_PATH: path.join(targetPath, 'logs'),
  };
  const db = urlParts(databaseUrl);
  console.error(
    `dbt ${dbtArgs.join(' ')}${runDate ? ` for ${runDate}` : ''}: as ${db.user} (role ${role}) on ${db.host}:${db.port}/${db.database}; ` +
      `artifacts in ${shownPath(targetPath)}`,
  );
  const child = execa(dbtBin, dbtArgs, { cwd: config.dbt.projectDir, env, stdio: 'inherit', reject: false });
  // Ctrl-C reaches dbt from the terminal (it cancels its queries and stops): wait for it to end
  // rather than leave it behind. A SIGTERM to this command is passed on to dbt.
  const ignore = () => {};
  const forward = () => child.kill('SIGTERM');
  process.on('SIGINT', ignore);
  process.on('SIGTERM', forward);
  try {
    const result = await child;
    if (result.exitCode !== undefined) return result.exitCode;
    if (result.signal) return 128 + (constants.signals[result.signal] ?? 1);
    console.error(`dbt could not be started: ${result.shortMessage}`);
    return 127;
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', forward);
  }
}
