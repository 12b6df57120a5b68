// The environment every dbt process gets, whoever starts it: the worker's runner, and
// `roas dbt` (dbt by hand). One function, so a person reproducing a step connects to the same
// server and port, as the same login and role, for the same run date, as the worker did.
import { existsSync } from 'node:fs';
import { urlParts } from '../../src/platform/db/url';

export interface DbtEnvOptions {
  /** The transform role's connection (its TLS settings reach dbt too). */
  databaseUrl: string;
  /** The role dbt's sessions act as (the owner of analytics); unset: the login's own. */
  role?: string;
  threads: number;
  /** A saved parse every invocation starts from (the worker's); unset for dbt by hand. */
  sharedParseFile?: string;
}

export interface DbtEnvInvocation {
  /** Names the PostgreSQL sessions (pg_stat_activity.application_name). */
  applicationName?: string;
  /** The UTC day, YYYY-MM-DD, the models and tests work on. */
  runDate?: string;
  /** Where dbt writes manifest.json, run_results.json and its parse. */
  targetPath: string;
}

/** libpq's variables for the TLS files named in the URL (sslmode reaches dbt through the profile). */
function libpqTls(params: URLSearchParams): Record<string, string> {
  const pairs = [
    ['sslrootcert', 'PGSSLROOTCERT'],
    ['sslcert', 'PGSSLCERT'],
    ['sslkey', 'PGSSLKEY'],
  ] as const;
  return Object.fromEntries(pairs.flatMap(([param, variable]) => (params.get(param) ? [[variable, params.get(param)!]] : [])));
}

/** What dbt gets in its environment: the connection, the role, the run's name and date, where to write. */
export function dbtEnvironment(opts: DbtEnvOptions, invocation: DbtEnvInvocation): Record<string, string> {
  const db = urlParts(opts.databaseUrl);
  const tls = new URL(opts.databaseUrl).searchParams;
  return {
    DBT_PG_HOST: db.host,
    DBT_PG_PORT: String(db.port),
    DBT_PG_USER: db.user,
    DBT_PG_PASSWORD: db.password,
    DBT_PG_DBNAME: db.database,
    // The session's role from its first statement on (libpq's startup options): a SET ROLE
    // (dbt's profile `role`) would be undone by the first ROLLBACK of its transaction, and a table
    // built after it would belong to the login, which the owner role cannot then read.
    ...(opts.role ? { PGOPTIONS: `-c role=${opts.role}` } : {}),
    DBT_PG_SSLMODE: tls.get('sslmode') ?? '',
    ...libpqTls(tls),
    // Not in the profile (dbt hashes the profile, and a name per run would force a full
    // parse every time): libpq reads it from the environment.
    PGAPPNAME: invocation.applicationName ?? 'roas-dbt',
    ...(invocation.runDate ? { ROAS_RUN_DATE: invocation.runDate } : {}),
    ...(opts.sharedParseFile && existsSync(opts.sharedParseFile) ? { DBT_PARTIAL_PARSE_FILE_PATH: opts.sharedParseFile } : {}),
    DBT_THREADS: String(opts.threads),
    DBT_TARGET_PATH: invocation.targetPath,
    DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
    DBT_VERSION_CHECK: 'false',
    DBT_PARTIAL_PARSE: 'true',
  };
}
