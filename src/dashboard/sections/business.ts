// The business figures of the window, as the published models state them: spend, revenue and
// ROAS per day and channel (ROAS by dbt's analytics.roas over the sums), the 7-day ROAS of the
// daily report.
import type pg from 'pg';
import type { BusinessDay, Dashboard, Gathering, Money } from '../types';
import type { Tables } from './tables';

export async function queryBusiness(c: pg.PoolClient, win: { start: string; end: string }, tables: Tables) {
  const money = tables.fct
    ? (
        await c.query<{ day: string | null; channel: string | null; spend: string; revenue: string; roas: string | null; campaigns: string; conversions: string }>(
          // ROAS over the sums by dbt's own function, the one the models call (none until the first
          // run after an upgrade has built it: the sums still show).
          `SELECT metric_date::text AS day, channel, sum(spend_krw)::text AS spend, sum(revenue_krw)::text AS revenue,
                  ${tables.roas ? 'analytics.roas(sum(revenue_krw), sum(spend_krw))::text' : 'NULL::text'} AS roas,
                  count(*) AS campaigns, coalesce(sum(conversions), 0) AS conversions
           FROM analytics.fct_daily_metrics
           WHERE metric_date BETWEEN $1::date AND $2::date
           GROUP BY GROUPING SETS ((metric_date, channel), (metric_date), (channel), ())
           LIMIT 2000`,
          [win.start, win.end],
        )
      ).rows
    : [];
  const totals7d = tables.totals
    ? (
        await c.query<{ day: string; roas_7d: string | null }>(
          `SELECT report_date::text AS day, roas_7d::text AS roas_7d FROM analytics.rpt_daily_totals
           WHERE report_date BETWEEN $1::date AND $2::date LIMIT 200`,
          [win.start, win.end],
        )
      ).rows
    : [];
  return { money, totals7d };
}

export function buildBusiness(g: Gathering, db: Awaited<ReturnType<typeof queryBusiness>>, published: boolean): Dashboard['business'] {
  const { dates } = g;
  const roasOf = (x: string | null) => (x === null ? null : Number(x));
  const days = new Map<string, BusinessDay>();
  const channelTotals = new Map<string, Money>();
  let total: Money = { spend: '0', revenue: '0', roas: null };
  for (const r of db.money) {
    const money: Money = { spend: r.spend, revenue: r.revenue, roas: roasOf(r.roas) };
    if (r.day && r.channel) {
      const d = days.get(r.day) ?? { date: r.day, spend: '0', revenue: '0', roas: null, campaigns: 0, conversions: 0, roas7d: null, channels: {} };
      d.channels[r.channel] = money;
      days.set(r.day, d);
    } else if (r.day) {
      const d = days.get(r.day) ?? { date: r.day, spend: '0', revenue: '0', roas: null, campaigns: 0, conversions: 0, roas7d: null, channels: {} };
      Object.assign(d, money, { campaigns: Number(r.campaigns), conversions: Number(r.conversions) });
      days.set(r.day, d);
    } else if (r.channel) channelTotals.set(r.channel, money);
    else if (Number(r.campaigns) > 0) total = money;
  }
  for (const t of db.totals7d) {
    const d = days.get(t.day);
    if (d) d.roas7d = roasOf(t.roas_7d);
  }
  const businessDays = dates.flatMap((d) => (days.has(d) ? [days.get(d)!] : []));
  return {
    published,
    days: businessDays,
    channels: [...channelTotals].map(([channel, t]) => ({ channel, total: t })).sort((a, b) => Number(b.total.spend) - Number(a.total.spend)),
    total,
    latest: businessDays[businessDays.length - 1],
  };
}
