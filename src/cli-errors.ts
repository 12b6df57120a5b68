// Only the small error classes: every entry point loads this, the CLI before any heavy package.
import { BootstrapError, ConfigError, MigrationError, RunAlreadyInProgressError, UsageError } from './core/errors';

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
    console.error(`error: ${err.message}`);
    process.exit(err instanceof ConfigError || err instanceof UsageError ? 2 : 1);
  }
  console.error(err);
  process.exit(1);
}
