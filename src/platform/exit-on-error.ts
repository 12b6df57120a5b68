// Only the small error classes: every entry point loads this, the CLI before any heavy package.
import { BootstrapError, ConfigError, MigrationError, RunAlreadyInProgressError, UsageError } from '../core/errors';

/**
 * Ends a command-line entry point on an error: the known kinds print their message alone
 * (they already say what to fix), anything else prints its stack.
 */
export function exitOnError(err: unknown): never {
  if (
    err instanceof ConfigError ||
    err instanceof UsageError ||
    err instanceof BootstrapError ||
    err instanceof MigrationError ||
    err instanceof RunAlreadyInProgressError
  ) {
    console.error(`error: ${printable(err.message)}`);
    process.exit(err instanceof ConfigError || err instanceof UsageError ? 2 : 1);
  }
  console.error(err);
  process.exit(1);
}

/** A message as a terminal should get it: no control characters but line breaks, and never a flood (a hostile argument echoed back). */
export function printable(message: string, max = 2_000): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  const flat = message.replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '?');
  return flat.length > max ? `${flat.slice(0, max)}… (${flat.length - max} more characters)` : flat;
}
