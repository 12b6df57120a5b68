// Per-file database isolation: each test file gets a fresh, migrated database on the shared
// server, dropped when the file ends.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { migrate } from '../../src/platform/db/migrate';
import { withDatabase } from '../../src/platform/db/url';

export interface TestDatabase {
  url: string;
  name: string;
  pool: pg.Pool;
}

export async function createTestDatabase(label: string): Promise<TestDatabase & { drop(): Promise<void> }> {
  const serverUrl = inject('databaseUrl');
  const name = `roas_test_${label.replace(/\W+/g, '_').toLowerCase().slice(0, 30)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  await admin.end();
  const url = withDatabase(serverUrl, name);
  await migrate(url);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  // An idle client the server ends (the database dropped WITH (FORCE) while a client is still
  // closing, a backend terminated by a fault test) is dropped from the pool, not an uncaught error.
  pool.on('error', () => {});
  return {
    url,
    name,
    pool,
    drop: async () => {
      await pool.end();
      const c = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A database for the calling test file: created before its tests, dropped after. */
export function useTestDatabase(fileUrl: string): TestDatabase {
  const db = {} as TestDatabase;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const created = await createTestDatabase(path.basename(new URL(fileUrl).pathname, '.test.ts'));
    Object.assign(db, { url: created.url, name: created.name, pool: created.pool });
    drop = () => created.drop();
  });
  afterAll(async () => {
    await drop?.();
  });
  return db;
}

/**
 * The dbt seeds (campaigns, FX rates) loaded straight from their CSV files, for tests whose dbt
 * is a test double but whose activities read the seeds.
 */
export async function loadSeedsDirectly(pool: pg.Pool): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const { PROJECT_ROOT } = await import('../../src/platform/config');
  const seed = (name: string) =>
    readFileSync(path.join(PROJECT_ROOT, 'dbt', 'seeds', `${name}.csv`), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
  // Made as the owner of what dbt builds (as dbt's seed would), so a real dbt may replace them.
  await pool.query(`SET ROLE roas_analytics_owner;
    CREATE TABLE IF NOT EXISTS analytics.campaigns (campaign_id text, campaign_name text, channel text, currency char(3), bidding_model text, objective text);
    CREATE TABLE IF NOT EXISTS analytics.fx_rates (currency char(3), krw_per_unit numeric(18, 6));
    TRUNCATE analytics.campaigns, analytics.fx_rates;
    RESET ROLE`);
  for (const row of seed('campaigns')) await pool.query('INSERT INTO analytics.campaigns VALUES ($1, $2, $3, $4, $5, $6)', row);
  for (const row of seed('fx_rates')) await pool.query('INSERT INTO analytics.fx_rates VALUES ($1, $2)', row);
}
