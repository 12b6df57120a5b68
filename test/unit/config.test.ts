import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/platform/config';
import { ConfigError } from '../../src/core/errors';

const COMPONENT_URLS = {
  ROAS_INGEST_DATABASE_URL: 'postgres://roas_ingest:i@db:5433/marketing_roas',
  ROAS_TRANSFORM_DATABASE_URL: 'postgres://roas_transform:t@db:5433/marketing_roas',
  ROAS_ORCHESTRATOR_DATABASE_URL: 'postgres://roas_orchestrator:o@db:5433/marketing_roas',
  ROAS_REPORTING_DATABASE_URL: 'postgres://roas_reporting:r@db:5433/marketing_roas',
};

describe('loadConfig', () => {
  it('gives the local-stack defaults when nothing is set', () => {
    const c = loadConfig({});
    expect(c.postgres.url).toBeUndefined();
    expect(c.temporal).toMatchObject({ address: undefined, port: 7233, uiPort: 8233, namespace: 'default', taskQueue: 'marketing-roas' });
    expect(c.temporal.uiUrl).toBe('http://localhost:8233');
    expect(c.retry).toEqual({ intervalMs: 300_000, maximumAttempts: 4 });
    expect(c.localDir.endsWith('/.local')).toBe(true);
    expect(c.dbt.artifactsDir.startsWith(c.localDir)).toBe(true);
  });

  it('reads the values it is given', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5433/marketing_roas',
      ...COMPONENT_URLS,
      TEMPORAL_ADDRESS: 'temporal:7233',
      ROAS_RETRY_INTERVAL: '30s',
      DBT_THREADS: '8',
    });
    expect(c.postgres.url).toBe('postgres://u:p@db:5433/marketing_roas');
    expect(c.temporal.address).toBe('temporal:7233');
    expect(c.retry.intervalMs).toBe(30_000);
    expect(c.dbt.threads).toBe(8);
  });

  it.each([
    ['DATABASE_URL', 'localhost:5432/marketing_roas', 'expects'],
    ['DATABASE_URL', 'mysql://u@db/marketing_roas', 'starting with postgres://'],
    ['DATABASE_URL', 'postgres://u@db:5432', 'database name'],
    ['ROAS_PG_PORT', 'abc', 'port'],
    ['ROAS_PG_PORT', '70000', 'between 1 and 65535'],
    ['TEMPORAL_ADDRESS', 'http://localhost:7233', 'host:port'],
    ['ROAS_RETRY_INTERVAL', '5 minutes', 'duration'],
    ['SLACK_BOT_TOKEN', 'not-a-token', 'xoxb-'],
    ['LOG_LEVEL', 'verbose', 'one of'],
    ['ROAS_FRESHNESS_CHECK_INTERVAL', 'hourly', 'duration'],
    ['ROAS_FRESHNESS_LOOKBACK_DAYS', '-1', 'expects 0'],
    ['ROAS_FRESHNESS_LOOKBACK_DAYS', '365', 'at most 31'],
  ])('rejects %s=%s with a message naming the variable', (name, value, hint) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(new RegExp(`${name}( \\(a secret|=)`));
    expect(message).toContain(hint);
  });

  it('reports every bad variable at once', () => {
    expect(() => loadConfig({ TEMPORAL_PORT: 'x', DBT_THREADS: '0' })).toThrow(/TEMPORAL_PORT=.*\n.*DBT_THREADS=/s);
  });

  it('checks the Temporal TLS settings at start-up', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CERT_PATH: '/nonexistent/client.pem' })).toThrow(/TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH/);
    expect(() => loadConfig({ TEMPORAL_TLS_CERT_PATH: '/nonexistent/c.pem', TEMPORAL_TLS_KEY_PATH: '/nonexistent/c.key' })).toThrow(
      /TEMPORAL_TLS_CERT_PATH="\/nonexistent\/c.pem": no such file/,
    );
    expect(() => loadConfig({ TEMPORAL_TLS: 'yes' })).toThrow(/TEMPORAL_TLS="yes": expects true or false/);
    const cloud = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'key-0123456789abcdef' });
    expect(cloud.temporal.tls.enabled).toBe(true);
    expect(cloud.temporal.apiKey).toBe('key-0123456789abcdef');
  });
});

describe('the components\' database connections', () => {
  it('derives nothing when none is set: on the local stack each connects as its role on the local cluster', () => {
    const c = loadConfig({});
    expect(c.postgres.components).toBeUndefined();
    expect(c.postgres.roles).toEqual({
      ingest: 'roas_ingest',
      transform: 'roas_transform',
      orchestrator: 'roas_orchestrator',
      reporting: 'roas_reporting',
      analyticsOwner: 'roas_analytics_owner',
    });
    expect(loadConfig({ ROAS_DB_ROLE_PREFIX: 'roas_staging' }).postgres.roles.ingest).toBe('roas_staging_ingest');
    expect(() => loadConfig({ ROAS_DB_ROLE_PREFIX: 'Roas-Staging' })).toThrow(/ROAS_DB_ROLE_PREFIX="Roas-Staging": expects a lower-case name/);
    // A server on this machine (the tests' cluster): derived from DATABASE_URL, no component URL needed.
    expect(loadConfig({ DATABASE_URL: 'postgres://roas@127.0.0.1:54320/marketing_roas' }).postgres.components).toBeUndefined();
  });

  it('takes each component\'s URL when all are set', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://roas:p@db:5433/marketing_roas', ...COMPONENT_URLS });
    expect(c.postgres.components).toEqual({
      ingest: COMPONENT_URLS.ROAS_INGEST_DATABASE_URL,
      transform: COMPONENT_URLS.ROAS_TRANSFORM_DATABASE_URL,
      orchestrator: COMPONENT_URLS.ROAS_ORCHESTRATOR_DATABASE_URL,
      reporting: COMPONENT_URLS.ROAS_REPORTING_DATABASE_URL,
    });
    // Without the owner's: a worker that leaves migrations to the migrate step.
    expect(loadConfig(COMPONENT_URLS).postgres.url).toBeUndefined();
  });

  it('refuses some components\' URLs without the others, naming the missing ones', () => {
    const some = { ROAS_TRANSFORM_DATABASE_URL: COMPONENT_URLS.ROAS_TRANSFORM_DATABASE_URL, ROAS_ORCHESTRATOR_DATABASE_URL: COMPONENT_URLS.ROAS_ORCHESTRATOR_DATABASE_URL };
    expect(() => loadConfig(some)).toThrow(/ROAS_INGEST_DATABASE_URL, ROAS_REPORTING_DATABASE_URL: unset, while the other components' URLs are set/);
  });

  it('refuses a DATABASE_URL on another machine without the components\' URLs: it is the owner\'s, for migrations only', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://roas:p@db.example.com:5432/marketing_roas' })).toThrow(
      /ROAS_INGEST_DATABASE_URL, ROAS_TRANSFORM_DATABASE_URL, ROAS_ORCHESTRATOR_DATABASE_URL, ROAS_REPORTING_DATABASE_URL: unset, while DATABASE_URL names a server on another machine/,
    );
  });

  it('never shows a URL\'s password in its message', () => {
    let message = '';
    try {
      loadConfig({ ...COMPONENT_URLS, ROAS_REPORTING_DATABASE_URL: 'postgres://roas_reporting:s3cret-pw@db:5433' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('ROAS_REPORTING_DATABASE_URL="postgres://roas_reporting:***@db:5433": expects a database name');
    expect(message).not.toContain('s3cret-pw');
  });
});

describe('secrets from files (X_FILE, as Docker secrets are mounted)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-config-secrets-'));
  const file = (name: string, contents: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, contents);
    return p;
  };

  it.each([
    ['DATABASE_URL', 'postgres://roas:pw@127.0.0.1:5432/marketing_roas', (c: Config) => c.postgres.url],
    ['ROAS_INGEST_DATABASE_URL', COMPONENT_URLS.ROAS_INGEST_DATABASE_URL, (c: Config) => c.postgres.components?.ingest],
    ['ROAS_TRANSFORM_DATABASE_URL', COMPONENT_URLS.ROAS_TRANSFORM_DATABASE_URL, (c: Config) => c.postgres.components?.transform],
    ['ROAS_ORCHESTRATOR_DATABASE_URL', COMPONENT_URLS.ROAS_ORCHESTRATOR_DATABASE_URL, (c: Config) => c.postgres.components?.orchestrator],
    ['ROAS_REPORTING_DATABASE_URL', COMPONENT_URLS.ROAS_REPORTING_DATABASE_URL, (c: Config) => c.postgres.components?.reporting],
    ['SLACK_BOT_TOKEN', 'xoxb-from-a-file', (c: Config) => c.slack.token],
    ['TEMPORAL_API_KEY', 'key-0123456789abcdef', (c: Config) => c.temporal.apiKey],
    ['ROAS_DASHBOARD_TOKEN', '0123456789abcdef0123', (c: Config) => c.dashboard.token],
  ])('%s_FILE: the trimmed contents of the file', (name, value, read) => {
    const env: Record<string, string> = name.startsWith('ROAS_') && name.endsWith('_DATABASE_URL') ? { ...COMPONENT_URLS } : {};
    delete env[name];
    env[`${name}_FILE`] = file(`${name}.secret`, `${value}\n`);
    expect(read(loadConfig(env))).toBe(value);
  });

  it('both X and X_FILE set is an error, not a precedence', () => {
    expect(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxb-env', SLACK_BOT_TOKEN_FILE: file('slack', 'xoxb-file') })).toThrow(
      /SLACK_BOT_TOKEN and SLACK_BOT_TOKEN_FILE: both are set; set one/,
    );
  });

  it('a missing or empty file names the variable; a bad value from a file is not shown', () => {
    expect(() => loadConfig({ TEMPORAL_API_KEY_FILE: path.join(dir, 'nope') })).toThrow(/TEMPORAL_API_KEY_FILE=".*nope": no such file/);
    expect(() => loadConfig({ ROAS_DASHBOARD_TOKEN_FILE: file('empty', '\n') })).toThrow(/ROAS_DASHBOARD_TOKEN_FILE=".*empty": the file is empty/);
    let message = '';
    try {
      loadConfig({ SLACK_BOT_TOKEN_FILE: file('bad-slack', 'not-a-token-secret') });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/SLACK_BOT_TOKEN_FILE=".*bad-slack": the file's contents: expects a Slack bot token/);
    expect(message).not.toContain('not-a-token-secret');
  });
});

describe('a rejected secret is never echoed', () => {
  it.each([
    ['DATABASE_URL', 'roas:SuperSecret123@db:5432/marketing_roas'],
    ['ROAS_DASHBOARD_TOKEN', 'shortSecret1'],
    ['SLACK_BOT_TOKEN', 'notASlackSecretToken'],
    ['TEMPORAL_API_KEY', 'k3y'],
  ])('%s', (name, value) => {
    let message = '';
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain(name);
    expect(message).toContain('not shown');
    expect(message).not.toContain(value);
    expect(message).not.toMatch(/Secret|k3y/);
  });
});
