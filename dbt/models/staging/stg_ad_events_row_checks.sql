-- Grain: one row per event_id of the run date that breaks at least one row rule, with a flag per
-- rule. The staging tests that look at one row at a time read this small table instead of each
-- scanning the day's events again: one pass over stg_ad_events for all of them, and each test
-- still names its own rule and lists its own rows.
with

events as (
    select * from {{ ref('stg_ad_events') }}
    where event_date = {{ run_date() }}
),

campaigns as (
    select * from {{ ref('campaigns') }}
),

batch as (
    select completed_at
    from {{ source('realtime', 'flink_batches') }}
    where run_date = {{ run_date() }}
),

flagged as (
    select
        events.event_id,
        events.event_date,
        events.event_type,
        events.event_time,
        events.ingested_at,
        events.campaign_id,
        events.channel,
        events.device,
        events.currency,
        events.cost_micros,
        events.revenue_micros,
        events.revenue_krw,
        events.deliveries,
        events.deliveries > 1 as duplicate_delivery,
        coalesce(events.cost_micros < 0 or events.revenue_micros < 0, false) as negative_amount,
        events.krw_per_unit is null as missing_fx_rate,
        coalesce(events.event_type <> 'conversion' and events.revenue_micros <> 0, false) as revenue_outside_conversion,
        (events.event_time < {{ run_date_start() }} or events.event_time >= {{ run_date_end() }}) as outside_run_date,
        coalesce(events.ingested_at > batch.completed_at, false) as late_arrival,
        events.event_id is null
            or events.campaign_id is null
            or events.event_date is null
            or events.event_type not in {{ accepted_values_list('event_type') }}
            or events.channel not in {{ accepted_values_list('channel') }}
            or events.device not in {{ accepted_values_list('device') }}
            or campaigns.campaign_id is null as field_rule
    from events
    left join campaigns on campaigns.campaign_id = events.campaign_id
    left join batch on true
),

final as (
    select *
    from flagged
    where negative_amount
       or missing_fx_rate
       or revenue_outside_conversion
       or outside_run_date
       or late_arrival
       or duplicate_delivery
       or coalesce(field_rule, true)
)

select * from final
