// Sets up everything the project needs on this machine and leaves no server running:
// the Python venv (dbt, Temporal CLI, test server), the local PostgreSQL cluster and database,
// and the migrations. Safe to run at any time; quick when nothing changed.
import { exitOnError } from '../src/platform/exit-on-error';
import { loadConfig } from '../src/platform/config';
import { redactUrl } from '../src/platform/db/url';
import { createLogger } from '../src/platform/logger';
import { startPostgres } from '../src/local/stack/postgres';
import { ensureVenv } from '../src/local/stack/venv';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, 'bootstrap');
  const started = Date.now();
  const tools = await ensureVenv(config, log);
  const postgres = await startPostgres(config, log);
  await postgres.stop();
  log.info({ dbt: tools.dbt, temporal: tools.temporal, database: redactUrl(postgres.url), ms: Date.now() - started }, 'bootstrap complete');
}

main().catch(exitOnError);
