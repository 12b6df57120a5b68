// What the daily report shows, read from the contracted report models of one date. Every figure
// is computed by dbt (dbt/models/reports); this file only reads. Numbers are parsed for the
// page and the charts, except money, which stays the database's exact text; the CSV files are the database's own text of each value (COPY … CSV),
// so money keeps every digit from the database to the file.
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

/** An amount in KRW as the database's exact decimal text, e.g. '1710123475305.652887'. */
export type Money = string;

export interface DailyTotals {
  campaigns: number;
  impressions: number;
  clicks: number;
  conversions: number;
  spend_krw: Money;
  revenue_krw: Money;
  roas: number | null;
  ctr: number | null;
  cvr: number | null;
  window_start: string;
  window_days_published: number;
  /** Days of the 7-day window that are not published, comma-separated, or null. */
  window_missing_days: string | null;
  spend_krw_7d: Money;
  revenue_krw_7d: Money;
  roas_7d: number | null;
  roas_change_pct: number | null;
}

export interface ChannelRow {
  channel: string;
  campaigns: number;
  impressions: number;
  clicks: number;
  conversions: number;
  spend_krw: Money;
  revenue_krw: Money;
  roas: number | null;
  share_of_spend: number | null;
}

export interface HourRow {
  hour: number;
  spend_krw: Money;
  revenue_krw: Money;
}

export interface CampaignRow {
  campaign_id: string;
  campaign_name: string;
  channel: string;
  impressions: number;
  clicks: number;
  conversions: number;
  spend_krw: Money;
  revenue_krw: Money;
  ctr: number | null;
  cvr: number | null;
  cpc_krw: Money | null;
  cpa_krw: Money | null;
  roas: number | null;
}

export interface TrendRow {
  metric_date: string;
  published: boolean;
  spend_krw: Money | null;
  revenue_krw: Money | null;
  roas: number | null;
}

/** A day of the window restated after late rows arrived (rpt_window_restatements). */
export interface RestatedRow {
  metric_date: string;
  restatements: number;
  roas_first_published: number | null;
  roas_now: number | null;
  roas_change_pct: number | null;
}

export interface ReportData {
  runDate: string;
  totals: DailyTotals;
  channels: ChannelRow[];
  hours: HourRow[];
  campaigns: CampaignRow[];
  trend: TrendRow[];
  campaignTrend: Record<string, unknown>[];
  /** Days of the window restated since they were first published. */
  restated?: RestatedRow[];
  /** CSV file name → contents, straight from the report models. */
  csv: Record<string, string>;
}

/** The report models, the CSV file each becomes, and the order of its rows. */
export const REPORT_MODELS = [
  { key: 'totals', model: 'rpt_daily_totals', file: 'daily_totals.csv', orderBy: 'report_date' },
  { key: 'trend', model: 'rpt_daily_trend', file: 'trend_7d.csv', orderBy: 'metric_date' },
  { key: 'hours', model: 'rpt_hourly', file: 'hourly.csv', orderBy: 'hour' },
  { key: 'campaigns', model: 'rpt_campaign_daily', file: 'campaigns.csv', orderBy: 'roas DESC NULLS LAST, campaign_id' },
  { key: 'channels', model: 'rpt_channel_daily_summary', file: 'channels.csv', orderBy: 'spend_krw DESC, channel' },
  { key: 'campaignTrend', model: 'rpt_campaign_roas_7d', file: 'campaign_roas_7d.csv', orderBy: 'roas_7d DESC NULLS LAST, campaign_id' },
  { key: 'restated', model: 'rpt_window_restatements', file: 'restatements_7d.csv', orderBy: 'metric_date' },
] as const;

type ReportKey = (typeof REPORT_MODELS)[number]['key'];

/** pg returns numeric and bigint as text; the page and charts want numbers. Dates stay text. */
function parsed<T>(rows: Record<string, unknown>[], keepText: string[] = []): T[] {
  return rows.map(
    (r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [k, keepText.includes(k) || typeof v !== 'string' || Number.isNaN(Number(v)) ? v : Number(v)]),
      ) as T,
  );
}

const MONEY_COLUMNS = ['spend_krw', 'revenue_krw', 'spend_krw_7d', 'revenue_krw_7d', 'spend_krw_day', 'revenue_krw_day', 'cpc_krw', 'cpa_krw'];
const TEXT_COLUMNS = ['report_date', 'metric_date', 'window_start', 'window_missing_days', 'campaign_id', 'campaign_name', 'channel', ...MONEY_COLUMNS];

export async function readReportData(pool: pg.Pool, runDate: string): Promise<ReportData> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(runDate)) throw new Error(`not a run date: ${runDate}`);
  const client = await pool.connect();
  try {
    // One snapshot for the rows and the CSV files: a publish in between cannot split them.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const rows = {} as Record<ReportKey, Record<string, unknown>[]>;
    const csv: Record<string, string> = {};
    for (const m of REPORT_MODELS) {
      const select = `SELECT * FROM analytics.${m.model} WHERE report_date = `;
      rows[m.key] = (await client.query<Record<string, unknown>>({ text: `${select}$1::date ORDER BY ${m.orderBy}`, values: [runDate], types: textDates })).rows;
      // COPY takes no parameters; the date was checked above and is quoted as a literal.
      csv[m.file] = await copyOut(client, `COPY (${select}${client.escapeLiteral(runDate)}::date ORDER BY ${m.orderBy}) TO STDOUT WITH (FORMAT csv, HEADER)`);
    }
    await client.query('COMMIT');
    const totalsRow = rows.totals[0];
    if (!totalsRow) {
      throw new Error(`analytics.rpt_daily_totals has no published row for ${runDate}: the report models of the date were not published`);
    }
    return {
      runDate,
      totals: parsed<DailyTotals>([totalsRow], TEXT_COLUMNS)[0]!,
      channels: parsed<ChannelRow>(rows.channels, TEXT_COLUMNS),
      hours: parsed<HourRow>(rows.hours, TEXT_COLUMNS),
      campaigns: parsed<CampaignRow>(rows.campaigns, TEXT_COLUMNS),
      trend: parsed<TrendRow>(rows.trend, TEXT_COLUMNS),
      campaignTrend: parsed<Record<string, unknown>>(rows.campaignTrend, TEXT_COLUMNS),
      restated: parsed<RestatedRow>(rows.restated, TEXT_COLUMNS),
      csv,
    };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Dates as the database writes them (YYYY-MM-DD), not as JavaScript Dates in local time. */
const DATE_OID = 1082;
const textDates: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === DATE_OID ? (v: string) => v : (pg.types.getTypeParser(oid, format) as (v: string) => unknown)) as pg.CustomTypesConfig['getTypeParser'],
};

async function copyOut(client: pg.PoolClient, sql: string): Promise<string> {
  const chunks: Buffer[] = [];
  const stream = client.query(copyTo(sql));
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
