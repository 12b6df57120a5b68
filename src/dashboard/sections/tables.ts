// Which published models exist yet: a fresh database has none, and the sections that read them say so.
import type pg from 'pg';

export interface Tables {
  fct: boolean;
  by_campaign: boolean;
  row_checks: boolean;
  totals: boolean;
  /** dbt's analytics.roas(revenue, spend), the one definition of ROAS (built by the first run). */
  roas: boolean;
}

export async function queryTables(c: pg.PoolClient): Promise<Tables> {
  return (
    await c.query<Tables>(
      `SELECT to_regclass('analytics.fct_daily_metrics') IS NOT NULL AS fct,
              to_regclass('analytics.stg_ad_events_by_campaign') IS NOT NULL AS by_campaign,
              to_regclass('analytics.stg_ad_events_row_checks') IS NOT NULL AS row_checks,
              to_regclass('analytics.rpt_daily_totals') IS NOT NULL AS totals,
              to_regprocedure('analytics.roas(numeric, numeric)') IS NOT NULL AS roas`,
    )
  ).rows[0]!;
}
