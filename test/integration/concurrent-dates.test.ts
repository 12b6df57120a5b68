// Two dates at once on a database that has never run (a first backfill at concurrency 2): both
// builds create the published tables and both runs maintain the event partitions. Each of these
// once failed one of the two dates with "relation … already exists".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDay } from '../../src/local/generator/load';
import { dbtFor } from '../helpers/dbt';
import { createTestDatabase, loadSeedsDirectly, type TestDatabase } from '../helpers/db';

describe('two dates at once on a fresh database', () => {
  let db: TestDatabase & { drop(): Promise<void> };
  beforeAll(async () => {
    db = await createTestDatabase('concurrent_dates');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('partition maintenance run twice at once makes each day once, and neither call fails', async () => {
    // Eight days ahead that do not exist yet, maintained by two sessions at the same moment, a
    // few times over.
    for (const from of ['2027-03-01', '2027-03-11', '2027-03-21']) {
      const results = await Promise.allSettled(
        [0, 1].map(() => db.pool.query("SELECT count(*) FROM realtime.maintain_ad_events_partitions($1::date, 7)", [from])),
      );
      expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok']);
    }
    const { rows } = await db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'realtime.ad_events'::regclass AND inhrelid::regclass::text LIKE 'realtime.ad_events_p202703%'",
    );
    expect(rows[0]!.n).toBe(24);
  });

  it("two dates' first dbt builds at once both succeed and both days are in their audited tables", async () => {
    const dates = ['2027-04-01', '2027-04-02'];
    for (const [i, date] of dates.entries()) await loadDay(db.pool, { date, events: 5_000, seed: 40 + i });
    // The seeds exist (dbt's own seed loading is not what this is about); no model's table does.
    await loadSeedsDirectly(db.pool);
    const dbt = dbtFor(db.url);
    const exclude = ['--exclude', 'resource_type:seed', 'test_type:unit', '--indirect-selection', 'cautious'];
    const results = await Promise.all(dates.map((runDate) => dbt('build', { runDate, select: ['tag:daily_run'], extraArgs: exclude })));
    for (const r of results) expect(r.exitCode, r.nodes.filter((n) => n.status === 'error').map((n) => `${n.name}: ${n.message}`).join('\n')).toBe(0);
    for (const date of dates) {
      const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM analytics_audit.stg_ad_events_p${date.replaceAll('-', '')}`);
      expect(rows[0]!.n).toBe(5_000);
    }
  });
});
