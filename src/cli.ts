#!/usr/bin/env node
// `roas`: the operator's command line.
import { Command, CommanderError } from 'commander';
import { exitOnError } from './cli-errors';
import { createCliContext, type CliContext } from './commands/context';
import { flinkCompleteCommand } from './commands/flink-complete';
import { generateEventsCommand } from './commands/generate-events';
import { runCommand } from './commands/run';

let context: CliContext | undefined;
const getContext = () => (context ??= createCliContext());

const program = new Command('roas')
  .description('Operate the marketing ROAS pipelines (Temporal + dbt).')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
  .addCommand(runCommand(getContext))
  .addCommand(flinkCompleteCommand(getContext))
  .addCommand(generateEventsCommand(getContext));

// Subcommands added with addCommand do not inherit exitOverride; without it commander exits 1 itself.
for (const command of program.commands) command.exitOverride();

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
