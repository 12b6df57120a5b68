-- Grain: one row per (report_date, channel). The channel view of the day for the daily report.
with

daily as (
    select * from {{ ref('fct_daily_metrics') }}
    where metric_date = {{ run_date() }}
),

by_channel as (
    select
        metric_date as report_date,
        channel,
        count(*) as campaigns,
        sum(impressions)::bigint as impressions,
        sum(clicks)::bigint as clicks,
        sum(conversions)::bigint as conversions,
        sum(spend_krw) as spend_krw,
        sum(revenue_krw) as revenue_krw
    from daily
    group by metric_date, channel
),

final as (
    select
        by_channel.*,
        {{ safe_divide('clicks', 'impressions') }} as ctr,
        {{ safe_divide('conversions', 'clicks') }} as cvr,
        {{ function('roas') }}(revenue_krw, spend_krw) as roas,
        {{ safe_divide('spend_krw', 'sum(spend_krw) over ()') }} as share_of_spend
    from by_channel
)

select * from final
