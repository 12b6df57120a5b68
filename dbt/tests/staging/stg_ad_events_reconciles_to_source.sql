-- Why: staging must hold every distinct event the source has for the date, no more and no fewer.
{{ config(severity='error') }}

with

source_count as (
    select count(distinct event_id) as events
    from {{ source('realtime', 'ad_events') }}
    where event_time >= {{ run_date_start() }} and event_time < {{ run_date_end() }}
),

staged_count as (
    select count(*) as events
    from {{ ref('stg_ad_events') }}
    where event_date = {{ run_date() }}
)

select source_count.events as source_events, staged_count.events as staged_events
from source_count cross join staged_count
where source_count.events <> staged_count.events
