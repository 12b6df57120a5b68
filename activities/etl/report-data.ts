// What the daily report shows, read from the analytics tables for one date.
import type pg from 'pg';

export interface ChannelRow {
  channel: string;
  campaigns: number;
  impressions: number;
  clicks: number;
  conversions: number;
  spend_krw: number;
  revenue_krw: number;
  roas: number | null;
  share_of_spend: number | null;
}

export interface HourRow {
  hour: number;
  spend_krw: number;
  revenue_krw: number;
}

export interface CampaignRow {
  campaign_id: string;
  campaign_name: string;
  channel: string;
  impressions: number;
  clicks: number;
  conversions: number;
  spend_krw: number;
  revenue_krw: number;
  ctr: number | null;
  cvr: number | null;
  cpc_krw: number | null;
  cpa_krw: number | null;
  roas: number | null;
}

export interface TrendRow {
  metric_date: string;
  spend_krw: number;
  revenue_krw: number;
  roas: number | null;
}

export interface ReportData {
  runDate: string;
  totals: { spend_krw: number; revenue_krw: number; roas: number | null; impressions: number; clicks: number; conversions: number; campaigns: number };
  /** ROAS of the 7 days before the run date (spend-weighted), for comparison. */
  roas7dAvg: number | null;
  channels: ChannelRow[];
  hours: HourRow[];
  campaigns: CampaignRow[];
  trend: TrendRow[];
  campaignTrend: Record<string, unknown>[];
}

/** pg returns numeric and bigint as strings; the report wants numbers. */
function numeric<T>(rows: Record<string, unknown>[], keep: string[] = []): T[] {
  return rows.map(
    (r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [k, keep.includes(k) || v === null || typeof v !== 'string' || Number.isNaN(Number(v)) ? v : Number(v)]),
      ) as T,
  );
}

export async function readReportData(pool: pg.Pool, runDate: string): Promise<ReportData> {
  const q = (sql: string) => pool.query<Record<string, unknown>>(sql, [runDate]);
  const [totals, before, channels, hours, campaigns, trend, campaignTrend] = await Promise.all([
    q(`SELECT coalesce(sum(spend_krw), 0) AS spend_krw, coalesce(sum(revenue_krw), 0) AS revenue_krw,
              round(sum(revenue_krw) / nullif(sum(spend_krw), 0), 6) AS roas,
              coalesce(sum(impressions), 0) AS impressions, coalesce(sum(clicks), 0) AS clicks,
              coalesce(sum(conversions), 0) AS conversions, count(*) AS campaigns
       FROM analytics.fct_daily_metrics WHERE metric_date = $1`),
    q(`SELECT round(sum(revenue_krw) / nullif(sum(spend_krw), 0), 6) AS roas
       FROM analytics.fct_daily_metrics WHERE metric_date BETWEEN $1::date - 7 AND $1::date - 1`),
    q(`SELECT channel, campaigns, impressions, clicks, conversions, spend_krw, revenue_krw, roas, share_of_spend
       FROM analytics.rpt_channel_daily_summary WHERE report_date = $1 ORDER BY spend_krw DESC`),
    q(`SELECT extract(hour FROM event_hour)::int AS hour, sum(spend_krw) AS spend_krw, sum(revenue_krw) AS revenue_krw
       FROM analytics.int_hourly_agg WHERE event_date = $1 GROUP BY 1 ORDER BY 1`),
    q(`SELECT campaign_id, campaign_name, channel, impressions, clicks, conversions, spend_krw, revenue_krw,
              ctr, cvr, cpc_krw, cpa_krw, roas
       FROM analytics.fct_daily_metrics WHERE metric_date = $1 ORDER BY roas DESC NULLS LAST, campaign_id`),
    q(`SELECT metric_date::text, sum(spend_krw) AS spend_krw, sum(revenue_krw) AS revenue_krw,
              round(sum(revenue_krw) / nullif(sum(spend_krw), 0), 6) AS roas
       FROM analytics.fct_daily_metrics WHERE metric_date BETWEEN $1::date - 6 AND $1::date GROUP BY 1 ORDER BY 1`),
    q(`SELECT report_date::text, campaign_id, campaign_name, channel, spend_krw_day, revenue_krw_day, roas_day,
              spend_krw_7d, revenue_krw_7d, roas_7d, days_with_data
       FROM analytics.rpt_campaign_roas_7d WHERE report_date = $1 ORDER BY roas_7d DESC NULLS LAST, campaign_id`),
  ]);
  return {
    runDate,
    totals: numeric<ReportData['totals']>(totals.rows)[0]!,
    roas7dAvg: numeric<{ roas: number | null }>(before.rows)[0]?.roas ?? null,
    channels: numeric<ChannelRow>(channels.rows),
    hours: numeric<HourRow>(hours.rows),
    campaigns: numeric<CampaignRow>(campaigns.rows, ['campaign_id']),
    trend: numeric<TrendRow>(trend.rows, ['metric_date']),
    campaignTrend: numeric<Record<string, unknown>>(campaignTrend.rows, ['report_date', 'campaign_id']),
  };
}
