-- Grain: one row per report_date. The day's totals over every campaign, and the same figures
-- over the 7 days ending on the run date (report_date - 6 … report_date). Only published days
-- count: a day whose dbt run failed its tests is not in the window, and window_missing_days
-- names it.
with

day as (
    select * from {{ ref('fct_daily_metrics') }}
    where metric_date = {{ run_date() }}
),

window_days as (
    select * from {{ ref('fct_daily_metrics') }}
    where metric_date between {{ run_date() }} - 6 and {{ run_date() }}
),

calendar as (
    select generate_series({{ run_date() }} - 6, {{ run_date() }}, interval '1 day')::date as metric_date
),

day_totals as (
    select
        count(*) as campaigns,
        coalesce(sum(impressions), 0)::bigint as impressions,
        coalesce(sum(clicks), 0)::bigint as clicks,
        coalesce(sum(conversions), 0)::bigint as conversions,
        coalesce(sum(spend_krw), 0) as spend_krw,
        coalesce(sum(revenue_krw), 0) as revenue_krw
    from day
),

window_totals as (
    select
        count(distinct metric_date)::integer as window_days_published,
        coalesce(sum(spend_krw), 0) as spend_krw_7d,
        coalesce(sum(revenue_krw), 0) as revenue_krw_7d
    from window_days
),

missing as (
    select string_agg(to_char(calendar.metric_date, 'YYYY-MM-DD'), ', ' order by calendar.metric_date) as window_missing_days
    from calendar
    where not exists (select 1 from window_days where window_days.metric_date = calendar.metric_date)
),

ratios as (
    select
        day_totals.*,
        window_totals.*,
        missing.window_missing_days,
        {{ function('roas') }}(day_totals.revenue_krw, day_totals.spend_krw) as roas,
        {{ function('roas') }}(window_totals.revenue_krw_7d, window_totals.spend_krw_7d) as roas_7d
    from day_totals
    cross join window_totals
    cross join missing
),

final as (
    select
        {{ run_date() }} as report_date,
        campaigns,
        impressions,
        clicks,
        conversions,
        spend_krw,
        revenue_krw,
        roas,
        {{ safe_divide('clicks', 'impressions') }} as ctr,
        {{ safe_divide('conversions', 'clicks') }} as cvr,
        ({{ run_date() }} - 6)::date as window_start,
        window_days_published,
        window_missing_days,
        spend_krw_7d,
        revenue_krw_7d,
        roas_7d,
        -- Against the window only when it holds another day than the report date itself.
        case when window_days_published > 1 then round({{ safe_divide('(roas - roas_7d) * 100', 'roas_7d') }}, 1) end as roas_change_pct
    from ratios
)

select * from final
