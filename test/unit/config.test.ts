import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { ConfigError } from '../../src/core/errors';

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
  ])('rejects %s=%s with a message naming the variable', (name, value, hint) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(`${name}=`);
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
