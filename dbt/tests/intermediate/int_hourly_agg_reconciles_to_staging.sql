-- Why: the hourly aggregate must carry every staged event and every won of spend and revenue.
-- Reconciliation is an invariant: error.
{{ config(severity='error') }}

with

staged as (
    select campaign_id, events, spend_krw, revenue_krw
    from {{ ref('stg_ad_events_by_campaign') }}
    where event_date = {{ run_date() }}
),

hourly as (
    select
        campaign_id,
        sum(impressions + clicks + conversions) as events,
        sum(spend_krw) as spend_krw,
        sum(revenue_krw) as revenue_krw
    from {{ ref('int_hourly_agg') }}
    where event_date = {{ run_date() }}
    group by campaign_id
)

select coalesce(staged.campaign_id, hourly.campaign_id) as campaign_id,
       staged.events as staged_events, hourly.events as hourly_events,
       staged.spend_krw as staged_spend, hourly.spend_krw as hourly_spend
from staged
full outer join hourly on hourly.campaign_id = staged.campaign_id
where staged.campaign_id is null
   or hourly.campaign_id is null
   or staged.events <> hourly.events
   or round(staged.spend_krw, 2) <> round(hourly.spend_krw, 2)
   or round(staged.revenue_krw, 2) <> round(hourly.revenue_krw, 2)
