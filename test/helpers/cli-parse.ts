// Parses a command line as `roas <args>` would, in this process, with a context that refuses:
// the error it ends with and what commander printed. Shared by the CLI's argument, fuzz and docs tests.
import type { Command } from 'commander';
import { roasProgram } from '../../src/cli/commands/program';
import type { CliContext } from '../../src/cli/commands/context';

export async function parseRoas(args: string[], context: () => Promise<CliContext>): Promise<{ error: unknown; printed: string }> {
  const program = roasProgram(context);
  let printed = '';
  const quiet = (c: Command): void => {
    c.configureOutput({ writeErr: (s) => (printed += s), writeOut: (s) => (printed += s) });
    c.commands.forEach(quiet);
  };
  quiet(program);
  const error = await program.parseAsync(args, { from: 'user' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, printed };
}
