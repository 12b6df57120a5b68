-- Grain: one row per (event_date, campaign_id) of the run date: the staged events, their
-- deliveries, spend and revenue. One pass over stg_ad_events for the tests that reconcile the
-- day with the source and with the hourly aggregate, and for the empty-day test.
with

events as (
    select * from {{ ref('stg_ad_events') }}
    where event_date = {{ run_date() }}
),

by_campaign as (
    select
        event_date,
        campaign_id,
        count(*) as events,
        sum(deliveries)::bigint as deliveries,
        coalesce(sum(spend_krw), 0) as spend_krw,
        coalesce(sum(revenue_krw), 0) as revenue_krw
    from events
    group by event_date, campaign_id
)

select * from by_campaign
