-- Grain: one row per (report_date, metric_date) for the 7 days ending on the run date: each
-- day's totals, or published = false (and no figures) for a day that is not published.
with

calendar as (
    select generate_series({{ run_date() }} - 6, {{ run_date() }}, interval '1 day')::date as metric_date
),

window_days as (
    select * from {{ ref('fct_daily_metrics') }}
    where metric_date between {{ run_date() }} - 6 and {{ run_date() }}
),

daily as (
    select
        metric_date,
        sum(spend_krw) as spend_krw,
        sum(revenue_krw) as revenue_krw
    from window_days
    group by metric_date
),

final as (
    select
        {{ run_date() }} as report_date,
        calendar.metric_date,
        daily.metric_date is not null as published,
        daily.spend_krw,
        daily.revenue_krw,
        {{ function('roas') }}(daily.revenue_krw, daily.spend_krw) as roas
    from calendar
    left join daily on daily.metric_date = calendar.metric_date
)

select * from final
