import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, MigrationError, migrate } from '../../src/platform/db/migrate';
import { useTestDatabase } from '../helpers/db';

describe('migrations', () => {
  const db = useTestDatabase(import.meta.url);

  it('re-applying is a no-op', async () => {
    // useTestDatabase has applied them once already.
    expect(await migrate(db.url)).toEqual([]);
    const { rows } = await db.pool.query<{ version: string }>('SELECT version FROM public.schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toContain('0001_schemas');
  });

  it('refuses an applied migration that was edited, and rolls back a failing one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'roas-migrations-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
    writeFileSync(path.join(dir, '9998_broken.sql'), 'CREATE TABLE realtime.half_done (id int);\nSELECT no_such_function();\n');
    await expect(migrate(db.url, dir)).rejects.toThrow(/9998_broken.sql failed and was rolled back/);
    const { rows } = await db.pool.query<{ t: string | null }>("SELECT to_regclass('realtime.half_done')::text AS t");
    expect(rows[0]?.t).toBeNull();

    writeFileSync(path.join(dir, '9998_broken.sql'), '-- fixed\n');
    writeFileSync(path.join(dir, '0001_schemas.sql'), '-- edited after the fact\n');
    await expect(migrate(db.url, dir)).rejects.toBeInstanceOf(MigrationError);
  });
});
