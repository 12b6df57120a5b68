-- Grain: one row per (report_date, campaign_id): the day's figures of each campaign, as the
-- daily report's campaign table and campaigns.csv show them.
with

daily as (
    select * from {{ ref('fct_daily_metrics') }}
    where metric_date = {{ run_date() }}
),

final as (
    select
        metric_date as report_date,
        campaign_id,
        campaign_name,
        channel,
        impressions,
        clicks,
        conversions,
        spend_krw,
        revenue_krw,
        ctr,
        cvr,
        cpc_krw,
        cpa_krw,
        roas
    from daily
)

select * from final
