-- Grain: one row per (event_hour, campaign_id) of the run date.
with

events as (
    select * from {{ ref('stg_ad_events') }}
    where event_date = {{ run_date() }}
),

hourly as (
    select
        event_hour,
        event_date,
        campaign_id,
        channel,
        count(*) filter (where event_type = 'impression') as impressions,
        count(*) filter (where event_type = 'click') as clicks,
        count(*) filter (where event_type = 'conversion') as conversions,
        coalesce(sum(spend_krw), 0) as spend_krw,
        coalesce(sum(revenue_krw), 0) as revenue_krw
    from events
    group by event_hour, event_date, campaign_id, channel
)

select * from hourly
