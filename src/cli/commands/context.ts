// What CLI commands share: the configuration, and connections made on first use, each failing
// with a message that says how to fix it. Everything heavy (the configuration schema, the
// logger, the Temporal client, pg) is imported when a command first asks for it, so `--help`
// and usage errors load none of it.
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import type pg from 'pg';
import type { Config } from '../../platform/config';
import type { Component } from '../../platform/db/roles';
import { addDays } from '../../core/dates';
import { BootstrapError, UsageError } from '../../core/errors';
import type { Logger } from '../../platform/logger';

export interface CliContext {
  config: Config;
  log: Logger;
  temporal(): Promise<Client>;
  /** A pool connected as the component's role (default: the orchestrator's), or as the owner. */
  pool(as?: Component | 'owner'): Promise<pg.Pool>;
  /** The URL a component (or the owner) connects with: its variable, or the local cluster's. */
  url(as?: Component | 'owner'): Promise<string>;
  close(): Promise<void>;
}

// Kept here too for the modules that import it from the CLI's context.
export { temporalAddress } from '../../platform/temporal-connection';

export async function createCliContext(): Promise<CliContext> {
  const [{ loadConfig }, { createLogger }] = await Promise.all([import('../../platform/config'), import('../../platform/logger')]);
  const config = loadConfig();
  const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 'roas');
  let connection: Connection | undefined;
  const pools = new Map<Component | 'owner', pg.Pool>();
  const context: CliContext = {
    config,
    log,
    async temporal() {
      const { Client, Connection } = await import('@temporalio/client');
      if (!connection) {
        // The worker's settings: address, TLS / mTLS, API key.
        const { temporalConnectionOptions } = await import('../../platform/temporal-connection');
        const options = temporalConnectionOptions(config);
        const address = options.address;
        try {
          connection = await Connection.connect({ ...options, connectTimeout: 5_000 });
          await connection.workflowService.getSystemInfo({});
        } catch {
          connection = undefined;
          throw new BootstrapError(
            `Temporal is not reachable at ${address}: start the stack with \`npm start\`, or set TEMPORAL_ADDRESS to your server.`,
          );
        }
      }
      return new Client({ connection, namespace: config.temporal.namespace });
    },
    async pool(as: Component | 'owner' = 'orchestrator') {
      let pool = pools.get(as);
      if (!pool) {
        const { default: pg } = await import('pg');
        const url = await context.url(as);
        pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'roas-cli' });
        try {
          await pool.query('SELECT 1');
        } catch (err) {
          await pool.end().catch(() => {});
          const variable = as === 'owner' ? 'DATABASE_URL' : `DATABASE_URL or ROAS_${as.toUpperCase()}_DATABASE_URL`;
          throw new BootstrapError(`PostgreSQL is not reachable: ${(err as Error).message}. Start the stack with \`npm start\` or fix ${variable}.`);
        }
        pools.set(as, pool);
      }
      return pool;
    },
    async url(as: Component | 'owner' = 'orchestrator') {
      const [{ resolveDatabaseUrl, resolveComponentUrl }, { localClusterUrl }] = await Promise.all([import('../../platform/database'), import('../../local/stack/postgres')]);
      const local = localClusterUrl(config, log);
      return as === 'owner' ? resolveDatabaseUrl(config, local) : resolveComponentUrl(config, as, local);
    },
    async close() {
      await Promise.all([...pools.values()].map((p) => p.end()));
      await connection?.close();
    },
  };
  return context;
}

/** A run date must be a day that has ended (UTC): yesterday or earlier. */
export function requireEndedDay(date: string, today = new Date().toISOString().slice(0, 10)): string {
  const yesterday = addDays(today, -1);
  if (date > yesterday) {
    throw new UsageError(`${date} has not ended yet (UTC): a run processes a finished day, ${yesterday} or earlier.`);
  }
  return date;
}

/** A path as the user would type it from here: relative when it is below the current folder. */
export function shownPath(p: string): string {
  const relative = path.relative(process.cwd(), p);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : p;
}
