-- Why: the daily fact must be exactly the sum of its hours; a gap means a lost or doubled hour.
-- Reconciliation is an invariant: error.
{{ config(severity='error') }}

with

hourly as (
    select
        campaign_id,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(spend_krw) as spend_krw,
        sum(revenue_krw) as revenue_krw
    from {{ ref('int_hourly_agg') }}
    where event_date = {{ run_date() }}
    group by campaign_id
),

daily as (
    select * from {{ ref('fct_daily_metrics') }}
    where metric_date = {{ run_date() }}
)

select coalesce(daily.campaign_id, hourly.campaign_id) as campaign_id
from hourly
full outer join daily on daily.campaign_id = hourly.campaign_id
where daily.campaign_id is null
   or hourly.campaign_id is null
   or daily.impressions <> hourly.impressions
   or daily.clicks <> hourly.clicks
   or daily.conversions <> hourly.conversions
   or round(daily.spend_krw, 2) <> round(hourly.spend_krw, 2)
   or round(daily.revenue_krw, 2) <> round(hourly.revenue_krw, 2)
