// Small named errors. Their names are what Temporal retry policies and the CLI match on,
// so renaming one is an interface change.

/** A setting is missing or malformed. Fix the named variable and start again. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Something the local stack needs is not installed, or a port is taken. The message says what to do. */
export class BootstrapError extends Error {
  override name = 'BootstrapError';
}

/** Bad input on the command line. The CLI prints the message and exits with 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A migration failed or an applied one was edited since (thrown by src/db/migrate.ts). */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** The date's run is already going (thrown by src/client/runs.ts). */
export class RunAlreadyInProgressError extends Error {
  override name = 'RunAlreadyInProgressError';
}
