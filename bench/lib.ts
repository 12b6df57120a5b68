// What every benchmark needs: the project's PostgreSQL (started if needed), a fresh migrated
// database of its own, the venv's tools; and a place for the JSON results.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { loadConfig, PROJECT_ROOT, type Config } from '../src/config';
import { migrate } from '../src/db/migrate';
import { withDatabase } from '../src/db/url';
import { createLogger, type Logger } from '../src/logger';
import { startPostgres } from '../src/stack/postgres';
import { ensureVenv, type VenvTools } from '../src/stack/venv';

export interface BenchDatabase {
  config: Config;
  log: Logger;
  tools: VenvTools;
  name: string;
  url: string;
  pool: pg.Pool;
  /** Drops the database and stops PostgreSQL if the benchmark started it. */
  drop(): Promise<void>;
}

export async function benchDatabase(label: string, poolSize = 2): Promise<BenchDatabase> {
  const config = loadConfig({ LOG_LEVEL: 'warn' });
  const log = createLogger('silent', 'bench');
  const tools = await ensureVenv(config, log);
  const postgres = await startPostgres(config, log);
  const name = `roas_bench_${label}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: withDatabase(postgres.url, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = withDatabase(postgres.url, name);
  await migrate(url);
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  return {
    config,
    log,
    tools,
    name,
    url,
    pool,
    drop: async () => {
      await pool.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      await postgres.stop();
    },
  };
}

export function writeResult(file: string, result: unknown): void {
  const out = path.join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, file), JSON.stringify(result, null, 2) + '\n');
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
