// The one place that reads process.env. Every setting is validated here once, at start-up,
// so a wrong value stops the program with a message naming the variable and what it expects.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../core/errors';
import type { LateDataSettings } from '../core/settings';
import { loadLineageSettings, type LineageSettings } from './openlineage';
import { COMPONENTS, isLocalServer, roleNames, type ComponentUrls, type RoleNames } from './db/roles';
import { redactUrl } from './db/url';

/**
 * The project's root: the nearest folder above this module that holds the project's package.json.
 * Found by walking up, so it is the same from the sources (src/platform/), the bundles (dist/)
 * and the image (/app/dist/).
 */
export const PROJECT_ROOT = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));

function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && /"name":\s*"marketing-roas-orchestrator"/.test(readFileSync(manifest, 'utf8'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..');
  }
}

const DURATION = /^(\d+)(ms|s|m|h)$/;
const durationMs = (value: string): number => {
  const m = DURATION.exec(value);
  if (!m) return NaN;
  const n = Number(m[1]);
  const unit = m[2] as 'ms' | 's' | 'm' | 'h';
  return n * { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[unit];
};

const port = z.coerce
  .number({ error: 'expects a TCP port number, e.g. 5432' })
  .int('expects a whole number')
  .min(1, 'expects a port between 1 and 65535')
  .max(65535, 'expects a port between 1 and 65535');

const duration = z
  .string()
  .refine((v) => DURATION.test(v), 'expects a duration such as 30s, 5m or 1h')
  .transform(durationMs);

const postgresUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expects a URL like postgres://user:password@host:5432/marketing_roas' });
    return;
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    ctx.addIssue({ code: 'custom', message: `expects a URL starting with postgres://, e.g. postgres://user:password@host:5432/marketing_roas` });
    return;
  }
  if (!url.hostname) ctx.addIssue({ code: 'custom', message: 'expects a host, e.g. postgres://user@db.example.com:5432/marketing_roas' });
  if (url.pathname.length <= 1) ctx.addIssue({ code: 'custom', message: 'expects a database name at the end, e.g. .../marketing_roas' });
});

const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'expects host:port, e.g. 127.0.0.1:7233 or my-ns.tmprl.cloud:7233');

const optional = <T extends z.ZodTypeAny>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** Each component's connection variable: it connects as its own role (migrations/0007_roles.sql). */
export const COMPONENT_URL_VARIABLES = {
  ingest: 'ROAS_INGEST_DATABASE_URL',
  transform: 'ROAS_TRANSFORM_DATABASE_URL',
  orchestrator: 'ROAS_ORCHESTRATOR_DATABASE_URL',
  reporting: 'ROAS_REPORTING_DATABASE_URL',
} as const;

/** The secrets: each may instead be read from the file named by <name>_FILE (Docker secrets). */
export const SECRET_VARIABLES = [
  'DATABASE_URL',
  ...Object.values(COMPONENT_URL_VARIABLES),
  'SLACK_BOT_TOKEN',
  'TEMPORAL_API_KEY',
  'ROAS_DASHBOARD_TOKEN',
  'OPENLINEAGE_API_KEY',
] as const;

const schema = z.object({
  ROAS_LOCAL_DIR: optional(z.string()),
  ROAS_VENV_DIR: optional(z.string()),
  ROAS_PYTHON: optional(z.string()).default('python3'),
  DATABASE_URL: optional(postgresUrl),
  ROAS_INGEST_DATABASE_URL: optional(postgresUrl),
  ROAS_TRANSFORM_DATABASE_URL: optional(postgresUrl),
  ROAS_ORCHESTRATOR_DATABASE_URL: optional(postgresUrl),
  ROAS_REPORTING_DATABASE_URL: optional(postgresUrl),
  ROAS_DB_ROLE_PREFIX: optional(z.string().regex(/^[a-z][a-z0-9_]{0,40}$/, 'expects a lower-case name such as roas or roas_staging (letters, digits, _)')).default('roas'),
  ROAS_PG_PORT: optional(port),
  ROAS_PG_BIN_DIR: optional(z.string()),
  TEMPORAL_ADDRESS: optional(hostPort),
  TEMPORAL_PORT: optional(port).default(7233),
  TEMPORAL_UI_PORT: optional(port).default(8233),
  TEMPORAL_NAMESPACE: optional(z.string().regex(/^[A-Za-z0-9._-]+$/, 'expects a namespace name such as default')).default(
    'default',
  ),
  TEMPORAL_TASK_QUEUE: optional(z.string().min(1)).default('marketing-roas'),
  TEMPORAL_UI_URL: optional(z.url({ error: 'expects a URL such as http://localhost:8233' })),
  TEMPORAL_TLS: optional(z.enum(['true', 'false'], { error: 'expects true or false' })),
  TEMPORAL_TLS_CERT_PATH: optional(z.string()),
  TEMPORAL_TLS_KEY_PATH: optional(z.string()),
  TEMPORAL_TLS_CA_PATH: optional(z.string()),
  TEMPORAL_API_KEY: optional(z.string().min(10, 'expects an API key')),
  ROAS_BUILD_ID: optional(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'expects a build ID such as a git commit or an image tag (letters, digits, . _ -)')),
  ROAS_DEPLOYMENT_NAME: optional(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, 'expects a name such as roas-orchestrator (letters, digits, _ -)')).default('roas-orchestrator'),
  TEMPORAL_METRICS_ADDRESS: optional(z.string().regex(/^[\w.-]*:\d{1,5}$/, 'expects host:port, e.g. 0.0.0.0:9464')).default('0.0.0.0:9464'),
  ROAS_HTTP_PORT: optional(port).default(9465),
  ROAS_ARTIFACTS_KEEP_DAYS: optional(z.coerce.number().int().min(1, 'expects at least 1 (day)').max(3650, 'expects at most 3650 (days)')).default(30),
  ROAS_HTTP_HOST: optional(z.string().regex(/^[\w.:-]+$/, 'expects an address to listen on, e.g. 127.0.0.1 or 0.0.0.0')).default('127.0.0.1'),
  ROAS_DASHBOARD_TOKEN: optional(z.string().min(16, 'expects at least 16 characters, e.g. the output of openssl rand -hex 24')),
  ROAS_SHUTDOWN_GRACE: optional(duration).default(durationMs('30s')),
  ROAS_REPORTS_DIR: optional(z.string()),
  DBT_PROJECT_DIR: optional(z.string()),
  DBT_ARTIFACTS_DIR: optional(z.string()),
  DBT_THREADS: optional(z.coerce.number().int().min(1, 'expects at least 1').max(64, 'expects at most 64')).default(4),
  ROAS_RETRY_INTERVAL: optional(duration).default(durationMs('5m')),
  ROAS_RETRY_ATTEMPTS: optional(z.coerce.number().int().min(1, 'expects at least 1').max(10, 'expects at most 10')).default(4),
  ROAS_RESTATE_LOOKBACK_DAYS: optional(z.coerce.number().int().min(0, 'expects 0 (no nightly restatement) or more days').max(31, 'expects at most 31 (days)')).default(7),
  ROAS_RESTATE_MIN_LATE_ROWS: optional(z.coerce.number().int().min(1, 'expects at least 1 (row)').max(1_000_000_000, 'expects at most 1000000000')).default(1),
  ROAS_RESTATE_MIN_LATE_SHARE: optional(z.coerce.number().min(0, 'expects a share from 0 to 1, e.g. 0.001').max(1, 'expects a share from 0 to 1, e.g. 0.001')).default(0),
  ROAS_FRESHNESS_CHECK_INTERVAL: optional(duration).default(durationMs('5m')),
  ROAS_FRESHNESS_LOOKBACK_DAYS: optional(z.coerce.number().int().min(0, 'expects 0 (today only) or more days').max(31, 'expects at most 31 (days)')).default(3),
  ROAS_RESTATE_ALERT_SHARE: optional(z.coerce.number().min(0, 'expects a share from 0 to 10, e.g. 0.02 for 2 %').max(10, 'expects a share from 0 to 10, e.g. 0.02 for 2 %')).default(0.02),
  SLACK_BOT_TOKEN: optional(z.string().regex(/^xox[a-z]-/, 'expects a Slack bot token starting with xoxb-')),
  SLACK_CHANNEL: optional(z.string().min(1)).default('#marketing-data-alerts'),
  SLACK_API_URL: optional(z.url({ error: 'expects a URL such as https://slack.com/api/' })),
  PATH: optional(z.string()).default(''),
  LOG_LEVEL: optional(z.enum(['trace', 'debug', 'info', 'warn', 'error'], { error: 'expects one of trace, debug, info, warn, error' })).default(
    'info',
  ),
});

export interface Config {
  projectRoot: string;
  localDir: string;
  venvDir: string;
  python: string;
  postgres: {
    /**
     * The owner's (migrations, the bootstrap): set when the user points us at an existing server;
     * otherwise the bootstrap runs one under localDir.
     */
    url: string | undefined;
    localPort: number | undefined;
    binDir: string | undefined;
    /** ROAS_DB_ROLE_PREFIX, and the components' roles it names. */
    rolePrefix: string;
    roles: RoleNames;
    /** Each component's own connection, when configured; otherwise derived from the owner's (a server on this machine). */
    components: ComponentUrls | undefined;
  };
  temporal: {
    /** Set when the user points us at an existing server; otherwise a dev server runs under localDir. */
    address: string | undefined;
    port: number;
    uiPort: number;
    namespace: string;
    taskQueue: string;
    uiUrl: string;
    /** TLS for Temporal Cloud or a secured cluster; mTLS when a client certificate is given. */
    tls: { enabled: boolean; certPath?: string; keyPath?: string; caPath?: string };
    apiKey: string | undefined;
    metricsAddress: string;
    /** Set (by ROAS_BUILD_ID) when the worker runs as a version of a Worker Deployment. */
    deployment: { deploymentName: string; buildId: string } | undefined;
    /** ROAS_DEPLOYMENT_NAME: the Worker Deployment `roas deploy` looks at, with or without ROAS_BUILD_ID. */
    deploymentName: string;
  };
  /** The worker's health, metrics and dashboard HTTP port. */
  httpPort: number;
  /** The address it listens on: loopback unless set (a container sets 0.0.0.0 for its network). */
  httpHost: string;
  /** The monitoring dashboard on httpPort: with a token, it asks every client for it; without, it serves loopback clients only. */
  dashboard: { token: string | undefined };
  /** How long a stopping worker lets running steps finish before cancelling them. */
  shutdownGraceMs: number;
  dbt: {
    projectDir: string;
    artifactsDir: string;
    /** Runs' artifacts older than this many days are removed (at worker start, then daily). */
    keepDays: number;
    threads: number;
  };
  /** Where the daily ETL writes <date>/index.html and its CSV files. */
  reportsDir: string;
  retry: {
    intervalMs: number;
    maximumAttempts: number;
  };
  /** Which published days the nightly look-back restates, and when their moves are worth a message. */
  lateData: LateDataSettings;
  /** Freshness promises: how often the worker looks for days that have not come, and how far back (days). */
  freshness: { checkIntervalMs: number; lookbackDays: number };
  slack: {
    token: string | undefined;
    channel: string;
    apiUrl: string | undefined;
  };
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** The shell's PATH, where tools such as PostgreSQL's binaries may be found. */
  systemPath: string;
  /** Where OpenLineage events go (OPENLINEAGE_*); off unless set. */
  lineage: LineageSettings;
}

export type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const root = PROJECT_ROOT;
  const given = env === process.env && existsSync(path.join(root, '.env')) ? loadDotEnv(root) : env;
  const { source, fromFile, problems: secretProblems } = readSecretFiles(given);
  if (secretProblems.length) throw new ConfigError(`Invalid configuration (see .env.example):\n${secretProblems.join('\n')}`);
  const v = parseSettings(given, source, fromFile);
  const { componentUrls, missing } = checkConnections(v);
  const localDir = path.resolve(root, v.ROAS_LOCAL_DIR ?? '.local');
  const temporalUiUrl = v.TEMPORAL_UI_URL ?? `http://localhost:${v.TEMPORAL_UI_PORT}`;
  return {
    projectRoot: root,
    localDir,
    venvDir: path.resolve(root, v.ROAS_VENV_DIR ?? '.venv'),
    python: v.ROAS_PYTHON,
    postgres: {
      url: v.DATABASE_URL,
      localPort: v.ROAS_PG_PORT,
      binDir: v.ROAS_PG_BIN_DIR,
      rolePrefix: v.ROAS_DB_ROLE_PREFIX,
      roles: roleNames(v.ROAS_DB_ROLE_PREFIX),
      components: missing.length ? undefined : (Object.fromEntries(componentUrls) as ComponentUrls),
    },
    temporal: {
      address: v.TEMPORAL_ADDRESS,
      port: v.TEMPORAL_PORT,
      uiPort: v.TEMPORAL_UI_PORT,
      namespace: v.TEMPORAL_NAMESPACE,
      taskQueue: v.TEMPORAL_TASK_QUEUE,
      uiUrl: temporalUiUrl.replace(/\/$/, ''),
      tls: {
        enabled: v.TEMPORAL_TLS === 'true' || Boolean(v.TEMPORAL_TLS_CERT_PATH || v.TEMPORAL_API_KEY),
        certPath: v.TEMPORAL_TLS_CERT_PATH,
        keyPath: v.TEMPORAL_TLS_KEY_PATH,
        caPath: v.TEMPORAL_TLS_CA_PATH,
      },
      apiKey: v.TEMPORAL_API_KEY,
      metricsAddress: v.TEMPORAL_METRICS_ADDRESS,
      deployment: v.ROAS_BUILD_ID ? { deploymentName: v.ROAS_DEPLOYMENT_NAME, buildId: v.ROAS_BUILD_ID } : undefined,
      deploymentName: v.ROAS_DEPLOYMENT_NAME,
    },
    httpPort: v.ROAS_HTTP_PORT,
    httpHost: v.ROAS_HTTP_HOST,
    dashboard: { token: v.ROAS_DASHBOARD_TOKEN },
    shutdownGraceMs: v.ROAS_SHUTDOWN_GRACE,
    dbt: {
      projectDir: path.resolve(root, v.DBT_PROJECT_DIR ?? 'dbt'),
      artifactsDir: path.resolve(root, v.DBT_ARTIFACTS_DIR ?? path.join(localDir, 'dbt-artifacts')),
      keepDays: v.ROAS_ARTIFACTS_KEEP_DAYS,
      threads: v.DBT_THREADS,
    },
    reportsDir: path.resolve(root, v.ROAS_REPORTS_DIR ?? 'reports'),
    retry: { intervalMs: v.ROAS_RETRY_INTERVAL, maximumAttempts: v.ROAS_RETRY_ATTEMPTS },
    lateData: {
      lookbackDays: v.ROAS_RESTATE_LOOKBACK_DAYS,
      minLateRows: v.ROAS_RESTATE_MIN_LATE_ROWS,
      minLateShare: v.ROAS_RESTATE_MIN_LATE_SHARE,
      alertShare: v.ROAS_RESTATE_ALERT_SHARE,
    },
    freshness: { checkIntervalMs: v.ROAS_FRESHNESS_CHECK_INTERVAL, lookbackDays: v.ROAS_FRESHNESS_LOOKBACK_DAYS },
    slack: { token: v.SLACK_BOT_TOKEN, channel: v.SLACK_CHANNEL, apiUrl: v.SLACK_API_URL },
    logLevel: v.LOG_LEVEL,
    systemPath: v.PATH,
    lineage: loadLineageSettings(source),
  };
}

/** The settings as the schema reads them; every problem in one error, secrets never shown. */
function parseSettings(given: Env, source: Env, fromFile: Set<string>): z.infer<typeof schema> {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      // A secret read from a file is never shown; a URL's password never is.
      if (fromFile.has(name)) return `  ${name}_FILE=${JSON.stringify(given[`${name}_FILE`])}: the file's contents: ${issue.message}`;
      if ((SECRET_VARIABLES as readonly string[]).includes(name)) {
        const masked = maskedPostgresUrl(source[name] ?? '');
        if (masked) return `  ${name}=${JSON.stringify(masked)}: ${issue.message}`;
        return `  ${name} (a secret, not shown${describeShape(source[name] ?? '')}): ${issue.message}`;
      }
      return `  ${name}=${JSON.stringify(shown(source[name] ?? ''))}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration (see .env.example):\n${lines.join('\n')}`);
  }
  return parsed.data;
}

/** Settings that must agree with each other: the components' URLs (all or none), mTLS's certificate and key, the TLS files. */
function checkConnections(v: z.infer<typeof schema>) {
  const problems: string[] = [];
  const componentUrls = COMPONENTS.map((c) => [c, v[COMPONENT_URL_VARIABLES[c]]] as const);
  const missing = componentUrls.filter(([, url]) => !url).map(([c]) => COMPONENT_URL_VARIABLES[c]);
  if (missing.length && missing.length < COMPONENTS.length) {
    problems.push(`  ${missing.join(', ')}: unset, while the other components' URLs are set: set every component's URL, or none (each component connects as its own role)`);
  } else if (missing.length === COMPONENTS.length && v.DATABASE_URL && !isLocalServer(v.DATABASE_URL)) {
    problems.push(
      `  ${Object.values(COMPONENT_URL_VARIABLES).join(', ')}: unset, while DATABASE_URL names a server on another machine: ` +
        'set each component\'s URL (its role and password); DATABASE_URL is the owner\'s, for migrations only',
    );
  }
  if (Boolean(v.TEMPORAL_TLS_CERT_PATH) !== Boolean(v.TEMPORAL_TLS_KEY_PATH)) {
    problems.push('  TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH: mTLS needs both the client certificate and its key');
  }
  for (const name of ['TEMPORAL_TLS_CERT_PATH', 'TEMPORAL_TLS_KEY_PATH', 'TEMPORAL_TLS_CA_PATH'] as const) {
    const file = v[name];
    if (file && !existsSync(file)) problems.push(`  ${name}=${JSON.stringify(file)}: no such file`);
  }
  if (problems.length) throw new ConfigError(`Invalid configuration (see .env.example):\n${problems.join('\n')}`);
  return { componentUrls, missing };
}

/**
 * The environment with each secret X given as X_FILE replaced by that file's trimmed contents
 * (Docker secrets); X and X_FILE both set is a mistake, not a precedence.
 */
function readSecretFiles(env: Env): { source: Env; fromFile: Set<string>; problems: string[] } {
  const source: Env = { ...env };
  const fromFile = new Set<string>();
  const problems: string[] = [];
  for (const name of SECRET_VARIABLES) {
    const file = env[`${name}_FILE`];
    if (!file) continue;
    if (env[name]) {
      problems.push(`  ${name} and ${name}_FILE: both are set; set one (${name}_FILE names a file holding the value, e.g. a Docker secret)`);
      continue;
    }
    try {
      const value = readFileSync(file, 'utf8').trim();
      if (!value) problems.push(`  ${name}_FILE=${JSON.stringify(file)}: the file is empty`);
      source[name] = value;
      fromFile.add(name);
    } catch (err) {
      const code = (err as { code?: string }).code;
      problems.push(`  ${name}_FILE=${JSON.stringify(file)}: ${code === 'ENOENT' ? 'no such file' : `cannot read it (${code ?? (err as Error).message})`}`);
    }
  }
  return { source, fromFile, problems };
}

/** A value as an error message may show it: a URL without its password. */
/** What may be said of a rejected secret without giving any of it away: its length only. */
function describeShape(value: string): string {
  return value ? `; ${value.length} characters` : '; empty';
}

/** A postgres:// URL with its password masked; undefined for anything else, which may be all secret. */
function maskedPostgresUrl(value: string): string | undefined {
  try {
    const u = new URL(value);
    if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return undefined;
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return undefined;
  }
}

/** A setting as shown in messages: a URL's password never. */
const shown = (value: string) => redactUrl(value, value);

/** Reads `.env` from the project root when present; values set in the shell win. */
function loadDotEnv(root: string): Env {
  const before = { ...process.env };
  process.loadEnvFile(path.join(root, '.env'));
  // Values set in the shell take precedence over the file.
  return { ...process.env, ...before };
}

