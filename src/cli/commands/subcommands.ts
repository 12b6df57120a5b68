import type { Command } from 'commander';
import { UsageError } from '../../core/errors';

/**
 * A command that is only a group of subcommands (`roas schedules`, `roas stack`): called alone or
 * with a word that is none of them, it says so and which there are (exit 2), instead of printing
 * its help as an error.
 */
export function requireSubcommand(cmd: Command): Command {
  return cmd.allowExcessArguments(true).action(() => {
    const names = cmd.commands.map((c) => c.name()).join(', ');
    const [word] = cmd.args;
    if (word !== undefined) throw new UsageError(`unknown subcommand "${word}" of roas ${cmd.name()}: choose one of ${names}`);
    throw new UsageError(`roas ${cmd.name()} needs a subcommand: one of ${names} (roas ${cmd.name()} --help says what each does)`);
  });
}
