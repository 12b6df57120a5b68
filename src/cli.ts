#!/usr/bin/env node
// `roas`: the operator's command line.
import { Command, CommanderError } from 'commander';
import { exitOnError } from './cli-errors';
import { generateEventsCommand } from './commands/generate-events';
import { loadConfig, type Config } from './config';
import { createLogger, type Logger } from './logger';

let context: { config: Config; log: Logger } | undefined;
const getContext = () => {
  if (!context) {
    const config = loadConfig();
    context = { config, log: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 'roas') };
  }
  return context;
};

const program = new Command('roas')
  .description('Operate the marketing ROAS pipelines (Temporal + dbt).')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride()
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
