import { Command } from 'commander';
import type { CliContext } from './context';
import { backfillCommand } from './backfill';
import { flinkCompleteCommand } from './flink-complete';
import { generateEventsCommand } from './generate-events';
import { runCommand } from './run';
import { schedulesCommand } from './schedules';
import { deployCommand } from './deploy';
import { stackCommand } from './stack';
import { logsCommand, runsCommand, statusCommand } from './status';
import { testStepCommand, validateCommand } from './validate';

/**
 * Every `roas` command, parsed by commander. `context` is called only once a command has
 * checked its input, so the parser alone (as the unit tests use it) needs no server.
 */
export function roasProgram(context: () => Promise<CliContext>): Command {
  const program = new Command('roas')
    .description('Operate the marketing ROAS pipelines (Temporal + dbt).')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .addCommand(runCommand(context))
    .addCommand(backfillCommand(context))
    .addCommand(statusCommand(context))
    .addCommand(runsCommand(context))
    .addCommand(logsCommand(context))
    .addCommand(schedulesCommand(context))
    .addCommand(validateCommand(context))
    .addCommand(testStepCommand(context))
    .addCommand(flinkCompleteCommand(context))
    .addCommand(generateEventsCommand(context))
    .addCommand(stackCommand(context))
    .addCommand(deployCommand(context));
  // Subcommands added with addCommand do not inherit exitOverride; without it commander exits 1 itself.
  const overrideExits = (c: Command): void => {
    c.exitOverride();
    c.commands.forEach(overrideExits);
  };
  program.commands.forEach(overrideExits);
  return program;
}
