#!/usr/bin/env node
// `roas`: the operator's command line. bin/roas runs it bundled (dist/roas.mjs, see
// scripts/build-cli.ts). Defining the commands is cheap: each loads the packages it needs
// (the Temporal client, pg, the activities …) when it runs, so `--help` and usage errors load none.
import { Command, CommanderError } from 'commander';
import { exitOnError } from './cli-errors';
import { createCliContext, type CliContext } from './commands/context';
import { backfillCommand } from './commands/backfill';
import { flinkCompleteCommand } from './commands/flink-complete';
import { generateEventsCommand } from './commands/generate-events';
import { runCommand } from './commands/run';
import { schedulesCommand } from './commands/schedules';
import { deployCommand } from './commands/deploy';
import { stackCommand } from './commands/stack';
import { logsCommand, runsCommand, statusCommand } from './commands/status';
import { testStepCommand, validateCommand } from './commands/validate';

let context: Promise<CliContext> | undefined;
const getContext = () => (context ??= createCliContext());

const program = new Command('roas')
  .description('Operate the marketing ROAS pipelines (Temporal + dbt).')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  .addCommand(runCommand(getContext))
  .addCommand(backfillCommand(getContext))
  .addCommand(statusCommand(getContext))
  .addCommand(runsCommand(getContext))
  .addCommand(logsCommand(getContext))
  .addCommand(schedulesCommand(getContext))
  .addCommand(validateCommand(getContext))
  .addCommand(testStepCommand(getContext))
  .addCommand(flinkCompleteCommand(getContext))
  .addCommand(generateEventsCommand(getContext))
  .addCommand(stackCommand(getContext))
  .addCommand(deployCommand(getContext));

// Subcommands added with addCommand do not inherit exitOverride; without it commander exits 1 itself.
const overrideExits = (c: Command): void => {
  c.exitOverride();
  c.commands.forEach(overrideExits);
};
program.commands.forEach(overrideExits);

// `roas runs | head` closes our stdout early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; usage mistakes exit 2 (commander already printed the message).
      process.exit(err.exitCode === 0 ? 0 : 2);
    }
    exitOnError(err);
  }
}

void main();
