#!/usr/bin/env node
// `roas`: the operator's command line. bin/roas runs it bundled (dist/roas.mjs, see
// scripts/build-cli.ts). Defining the commands is cheap: each loads the packages it needs
// (the Temporal client, pg, the activities …) when it runs, so `--help` and usage errors load none.
import { CommanderError } from 'commander';
import { exitOnError } from '../platform/exit-on-error';
import { createCliContext, type CliContext } from './commands/context';
import { roasProgram } from './commands/program';

let context: Promise<CliContext> | undefined;
const getContext = () => (context ??= createCliContext());

const program = roasProgram(getContext);

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
