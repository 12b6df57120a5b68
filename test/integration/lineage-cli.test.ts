// `roas lineage --date D` spawned as a user runs it, on a real PostgreSQL holding the per-model
// record of two runs of one date (the older one failed, the newer one retried and succeeded):
// the newest run's graph as text and as JSON; a date with no run; a bad date.
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/platform/config';
import type { Lineage } from '../../src/core/lineage';
import { useTestDatabase } from '../helpers/db';
import { dailyRunNodes, recordPublish, recordRun } from '../helpers/model-record';

const roas = path.join(PROJECT_ROOT, 'bin', 'roas');
const DATE = '2026-11-20';

describe('roas lineage', () => {
  const db = useTestDatabase(import.meta.url);
  const run = (args: string[]) =>
    execa(roas, args, { reject: false, timeout: 120_000, env: { DATABASE_URL: db.url, TEMPORAL_ADDRESS: inject('temporalAddress'), LOG_LEVEL: 'warn' } });

  beforeAll(async () => {
    // The first run of the day failed its error test; nothing was published.
    await recordRun(db.pool, {
      date: DATE,
      workflowId: `dbt-daily-run-${DATE}`,
      runId: 'run-old',
      status: 'failed',
      startedAt: '2026-11-21T00:00:05Z',
      attempts: [dailyRunNodes({ stg_ad_events_amounts_not_negative: { status: 'fail', failures: 37, message: 'Got 37 results, configured to fail if != 0' }, int_hourly_agg: { status: 'skipped' } })],
    });
    // Forced again by hand: attempt 1 failed on stg_ad_events, attempt 2 built everything; a warning on the spike test.
    await recordRun(db.pool, {
      date: DATE,
      workflowId: `dbt-daily-run-${DATE}`,
      runId: 'run-new',
      trigger: 'manual',
      startedAt: '2026-11-21T09:30:00Z',
      attempts: [
        dailyRunNodes({ stg_ad_events: { status: 'error', message: 'could not serialize access' }, int_hourly_agg: { status: 'skipped' } }).filter((n) => !n.unique_id.includes('fct_daily_metrics')),
        dailyRunNodes({ fct_daily_metrics_spend_spike: { status: 'warn', failures: 2 } }),
      ],
    });
    await recordPublish(db.pool, { model: 'fct_daily_metrics', date: DATE, workflowId: `dbt-daily-run-${DATE}`, runId: 'run-new', hoursAfter: 9.6, promiseHours: 2 });
    await recordPublish(db.pool, { model: 'int_hourly_agg', date: DATE, workflowId: `dbt-daily-run-${DATE}`, runId: 'run-new', hoursAfter: 9.6, promiseHours: 12 });
  });

  it('prints the newest run: the header, the sources, each node in dependency order with its state, cost, tests and publish', async () => {
    const r = await run(['lineage', '--date', DATE]);
    expect(r.exitCode, r.stderr).toBe(0);
    const out = r.stdout;
    expect(out).toContain(`${DATE}  dbt_daily_run succeeded, trigger manual, 2 attempts  (workflow dbt-daily-run-${DATE}, run run-new)`);
    expect(out).not.toContain('run-old');
    expect(out).toMatch(/sources\n {2}realtime\.ad_events {2}→ stg_ad_events\n {2}realtime\.flink_batches {2}→ stg_ad_events_row_checks\n/);
    expect(out.indexOf('model stg_ad_events:')).toBeLessThan(out.indexOf('model int_hourly_agg:'));
    expect(out.indexOf('model int_hourly_agg:')).toBeLessThan(out.indexOf('model fct_daily_metrics:'));
    expect(out.indexOf('seed  campaigns:')).toBeLessThan(out.indexOf('model stg_ad_events:'));
    expect(out).toContain('model stg_ad_events: passed, 2.8s, 200,000 rows, 2 attempts');
    expect(out).toContain('cost: 4 statements, 1,913 ms in PostgreSQL, blocks 2,210 read, 30,411 hit');
    expect(out).toContain('reads realtime.ad_events, fx_rates; writes analytics_audit.stg_ad_events');
    expect(out).toContain('tests: 1 passed; 1 warned: fct_daily_metrics_spend_spike (2 failing rows); 0 failed');
    expect(out).toContain('published 2026-11-21 09:36 UTC, 9h36m after the day ended, promise "within 2h of the end of the day" (2h00m): MISSED');
    expect(out).toContain('promise "within 12h of the end of the day" (12h00m): met');
    expect(out).toContain('7 models and seeds: 7 passed, 0 failed, 0 skipped, 0 not run');
  });

  it('--json prints the same graph', async () => {
    const r = await run(['lineage', '--date', DATE, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const l = JSON.parse(r.stdout) as Lineage;
    expect(l.runs.map((x) => [x.runId, x.status, x.trigger])).toEqual([['run-new', 'succeeded', 'manual']]);
    expect(l.sources.map((s) => s.name)).toEqual(['realtime.ad_events', 'realtime.flink_batches']);
    const fct = l.nodes.find((n) => n.name === 'fct_daily_metrics')!;
    expect(fct).toMatchObject({ state: 'passed', attempts: 1, rows: 12, writes: 'analytics_audit.fct_daily_metrics', reads: ['campaigns', 'int_hourly_agg'] });
    expect(fct.tests).toEqual([
      { name: 'fct_daily_metrics_one_row_per_campaign_day', state: 'passed', failures: null },
      { name: 'fct_daily_metrics_spend_spike', state: 'warned', failures: 2 },
    ]);
    expect(fct.publish).toMatchObject({ freshnessSeconds: 9.6 * 3600, promiseSeconds: 7200, met: false });
    expect(l.nodes.at(-1)!.name).toBe('fct_daily_metrics');
  });

  it('a date without a run: exit 1 and how to start one', async () => {
    const r = await run(['lineage', '--date', '2026-11-02']);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('no run of 2026-11-02');
    expect(r.stderr).toContain('roas run dbt --date 2026-11-02 --wait');
  });

  it.each([
    [['lineage', '--date', '2026-02-30'], 'does not exist in the calendar'],
    [['lineage', '--date', 'yesterday'], 'is not a date: write it as YYYY-MM-DD'],
    [['lineage'], "required option '-d, --date <YYYY-MM-DD>' not specified"],
  ])('roas %j: exit 2 and what is wrong', async (args, message) => {
    const r = await run(args);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
