import { Command } from 'commander';
import { printable } from '../../platform/exit-on-error';
import type { CliContext } from './context';
import { backfillCommand } from './backfill';
import { flinkCompleteCommand } from './flink-complete';
import { generateEventsCommand } from './generate-events';
import { restateCommand, restatementsCommand } from './restate';
import { runCommand } from './run';
import { schedulesCommand } from './schedules';
import { dbtCommand } from './dbt';
import { deployCommand } from './deploy';
import { stackCommand } from './stack';
import { logsCommand, runsCommand, statusCommand } from './status';
import { lineageCommand } from './lineage';
import { validateCommand } from './validate';
import { testStepCommand } from './test-step';

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
    .addCommand(restateCommand(context))
    .addCommand(restatementsCommand(context))
    .addCommand(statusCommand(context))
    .addCommand(runsCommand(context))
    .addCommand(logsCommand(context))
    .addCommand(lineageCommand(context))
    .addCommand(schedulesCommand(context))
    .addCommand(validateCommand(context))
    .addCommand(testStepCommand(context))
    .addCommand(dbtCommand(context))
    .addCommand(flinkCompleteCommand(context))
    .addCommand(generateEventsCommand(context))
    .addCommand(stackCommand(context))
    .addCommand(deployCommand(context));
  // Subcommands added with addCommand do not inherit exitOverride; without it commander exits 1 itself.
  const overrideExits = (c: Command): void => {
    c.exitOverride();
    // commander echoes a bad argument in its message: never a flood, never a control character.
    c.configureOutput({ outputError: (text, write) => write(printable(text)) });
    c.commands.forEach(overrideExits);
  };
  overrideExits(program);
  return program;
}
