// Versioned SQL migrations: migrations/NNNN_name.sql, applied in order, each in its own
// transaction, recorded in public.schema_migrations. Re-applying is a no-op; an applied file
// that was edited afterwards is refused, since the database no longer matches the code.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT } from '../config';
import { MigrationError } from '../../core/errors';
import { LIMITS } from '../../core/limits';

// Defined with the other small errors so the CLI's error handler can name it without loading pg.
export { MigrationError };

export const MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations');

/** The prefix of the component roles' names (ROAS_DB_ROLE_PREFIX) when none is given. */
export const DEFAULT_ROLE_PREFIX = 'roas';

export async function migrate(databaseUrl: string, dir = MIGRATIONS_DIR, opts: { rolePrefix?: string } = {}): Promise<string[]> {
  const files = readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort();
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'roas-migrate' });
  await client.connect();
  const applied: string[] = [];
  try {
    // One migrator at a time per database (npm start and a test run may race).
    await client.query('SELECT pg_advisory_lock(hashtext($1))', ['roas-migrate']);
    // What the migration that makes the component roles names them by.
    await client.query("SELECT set_config('roas.role_prefix', $1, false)", [opts.rolePrefix ?? DEFAULT_ROLE_PREFIX]);
    await client.query(`CREATE TABLE IF NOT EXISTS public.schema_migrations (
      version text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: string; checksum: string }>('SELECT version, checksum FROM public.schema_migrations');
    const done = new Map(rows.map((r) => [r.version, r.checksum]));
    for (const file of files) {
      const sql = readFileSync(path.join(dir, file), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const version = file.replace(/\.sql$/, '');
      const previous = done.get(version);
      if (previous !== undefined) {
        if (previous !== checksum) {
          throw new MigrationError(
            `migration ${file} was changed after it was applied; add a new migration instead of editing an applied one`,
          );
        }
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO public.schema_migrations (version, checksum) VALUES ($1, $2)', [version, checksum]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new MigrationError(`migration ${file} failed and was rolled back: ${(err as Error).message}`);
      }
      applied.push(version);
    }
    await refreshInputLimits(client);
  } finally {
    await client.end();
  }
  return applied;
}

/** The limits the database holds markers and partitions to, copied from the application's on every run. */
async function refreshInputLimits(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ present: boolean }>("SELECT to_regclass('realtime.input_limits') IS NOT NULL AS present");
  if (!rows[0]?.present) return;
  await client.query(
    `INSERT INTO realtime.input_limits (id, earliest_date, latest_days_ahead, partition_days_ahead, max_count, max_text_length, updated_at)
     VALUES (true, $1, $2, $3, $4, $5, now())
     ON CONFLICT (id) DO UPDATE SET earliest_date = $1, latest_days_ahead = $2, partition_days_ahead = $3, max_count = $4, max_text_length = $5, updated_at = now()
     WHERE (input_limits.earliest_date, input_limits.latest_days_ahead, input_limits.partition_days_ahead, input_limits.max_count, input_limits.max_text_length)
       IS DISTINCT FROM ($1::date, $2::integer, $3::integer, $4::bigint, $5::integer)`,
    [LIMITS.earliestDate, LIMITS.latestDaysAhead, LIMITS.partitionDaysAhead, LIMITS.maxCount, LIMITS.maxTextLength],
  );
}
