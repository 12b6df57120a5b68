-- Grain: one row per (report_date, campaign_id). Each campaign's ROAS on the run date next to
-- its ROAS over the 7 days ending on the run date (published days only), for the daily report.
with

last_7_days as (
    select * from {{ ref('fct_daily_metrics') }}
    where metric_date between {{ run_date() }} - 6 and {{ run_date() }}
),

trend as (
    select
        {{ run_date() }} as report_date,
        campaign_id,
        max(campaign_name) as campaign_name,
        max(channel) as channel,
        sum(spend_krw) filter (where metric_date = {{ run_date() }}) as spend_krw_day,
        sum(revenue_krw) filter (where metric_date = {{ run_date() }}) as revenue_krw_day,
        sum(spend_krw) as spend_krw_7d,
        sum(revenue_krw) as revenue_krw_7d,
        count(distinct metric_date)::integer as days_with_data
    from last_7_days
    group by campaign_id
),

final as (
    select
        trend.*,
        {{ function('roas') }}(revenue_krw_day, spend_krw_day) as roas_day,
        {{ function('roas') }}(revenue_krw_7d, spend_krw_7d) as roas_7d
    from trend
)

select * from final
