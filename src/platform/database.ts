// The database connections every entry point resolves the same way: DATABASE_URL (the owner's),
// each component's ROAS_*_DATABASE_URL, or, on a developer's machine, the local cluster's URL
// that the local stack passes in. Creates the database when missing and explains a failure.
import pg from 'pg';
import type { Config } from './config';
import { databaseName, redactUrl, withDatabase } from './db/url';
import { urlForRole, type Component } from './db/roles';
import { BootstrapError } from '../core/errors';
import type { Logger } from './logger';

/** The local cluster's URL when it runs (passed in by the local stack, which production code never imports). */
export type LocalClusterUrl = () => Promise<string | undefined>;

/**
 * For commands that use the database but do not own the stack (the CLI): DATABASE_URL, or the
 * local cluster if it is running.
 */
export async function resolveDatabaseUrl(config: Config, localCluster?: LocalClusterUrl): Promise<string> {
  if (config.postgres.url) return config.postgres.url;
  if (config.postgres.components) {
    throw new BootstrapError('DATABASE_URL is unset: this needs the owner\'s connection (the components\' URLs are set, the owner\'s is not).');
  }
  const url = await localCluster?.();
  if (!url) {
    throw new BootstrapError(
      'The local PostgreSQL is not running: start the stack with `npm start` (in another terminal), or set DATABASE_URL.',
    );
  }
  return url;
}

/**
 * A component's connection for commands that do not own the stack: its configured URL, or the
 * owner's (DATABASE_URL, the local cluster) with the component's role as user.
 */
export async function resolveComponentUrl(config: Config, component: Component, localCluster?: LocalClusterUrl): Promise<string> {
  const configured = config.postgres.components?.[component];
  if (configured) return configured;
  return urlForRole(await resolveDatabaseUrl(config, localCluster), config.postgres.roles[component]);
}

/** Creates the database named in the URL when missing; explains connection failures. */
export async function ensureDatabase(url: string, log: Logger): Promise<void> {
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await probe.connect();
    await probe.end();
    return;
  } catch (err) {
    await probe.end().catch(() => {});
    const code = (err as { code?: string }).code;
    if (code !== '3D000') throw explainPgError(err, url);
  }
  const name = databaseName(url);
  const admin = new pg.Client({ connectionString: withDatabase(url, 'postgres'), connectionTimeoutMillis: 5000 });
  try {
    await admin.connect();
    log.info({ database: name }, 'creating the database');
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04') throw explainPgError(err, url);
  } finally {
    await admin.end().catch(() => {});
  }
}

export function explainPgError(err: unknown, url: string): BootstrapError {
  const e = err as { code?: string; message?: string };
  const where = redactUrl(url);
  switch (e.code) {
    case 'ECONNREFUSED':
      return new BootstrapError(`PostgreSQL refused the connection at ${where}: start the server or fix DATABASE_URL.`);
    case 'ENOTFOUND':
      return new BootstrapError(`PostgreSQL host in ${where} does not resolve: fix the host in DATABASE_URL.`);
    case '28P01':
    case '28000':
      return new BootstrapError(`PostgreSQL rejected the login for ${where}: check the user and password in DATABASE_URL.`);
    case '42501':
      return new BootstrapError(`The user in ${where} may not create the database: create it yourself or grant CREATEDB.`);
    default:
      return new BootstrapError(`Cannot use PostgreSQL at ${where}: ${e.message ?? String(err)}`);
  }
}

