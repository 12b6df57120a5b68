-- Why: events that arrived after Flink reported the day complete may be missing from an earlier run of the date.
{{ config(severity='warn') }}

with

batch as (
    select completed_at
    from {{ source('realtime', 'flink_batches') }}
    where run_date = {{ run_date() }}
)

select events.event_id, events.event_time, events.ingested_at, batch.completed_at
from {{ ref('stg_ad_events') }} as events
cross join batch
where events.event_date = {{ run_date() }}
  and events.ingested_at > batch.completed_at
