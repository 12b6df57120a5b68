-- Grain: one row per event_id for the run date. Typed, de-duplicated (Flink delivers at least
-- once: the first arrival of an event_id wins, `deliveries` says how many arrived) and converted to the reporting currency, KRW.
-- Reads the run's cut of the day (events_cut), not the live table: every model and test of the
-- run sees the same rows, however many arrive while it builds.
with

source_events as (
    select * from {{ events_cut() }}
    where event_time >= {{ run_date_start() }}
      and event_time < {{ run_date_end() }}
),

fx_rates as (
    select * from {{ ref('fx_rates') }}
),

-- Each event's deliveries are counted in the same sort that picks its first arrival, so the
-- tests of repeated deliveries and of the reconciliation with the source need no pass of their own.
deduplicated as (
    select distinct on (event_id)
        *,
        count(*) over (partition by event_id) as deliveries
    from source_events
    order by event_id, ingested_at
),

final as (
    select
        events.event_id,
        events.event_type,
        events.event_time,
        (events.event_time at time zone 'UTC')::date as event_date,
        date_trunc('hour', events.event_time at time zone 'UTC') as event_hour,
        events.campaign_id,
        events.ad_group_id,
        events.channel,
        events.device,
        events.currency,
        events.cost_micros,
        events.revenue_micros,
        fx_rates.krw_per_unit,
        {{ micros_to_krw('events.cost_micros', 'fx_rates.krw_per_unit') }} as spend_krw,
        {{ micros_to_krw('events.revenue_micros', 'fx_rates.krw_per_unit') }} as revenue_krw,
        events.ingested_at,
        events.deliveries
    from deduplicated as events
    left join fx_rates on fx_rates.currency = events.currency
)

select * from final
