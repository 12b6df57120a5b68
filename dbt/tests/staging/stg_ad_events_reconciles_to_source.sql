-- Why: staging must account for every row the source has for the date: each distinct event once, its repeated deliveries counted, no row lost or doubled.
{{ config(severity='error') }}

with

source_rows as (
    select count(*) as source_rows
    from {{ source('realtime', 'ad_events') }}
    where event_time >= {{ run_date_start() }} and event_time < {{ run_date_end() }}
),

staged as (
    select coalesce(sum(deliveries), 0) as staged_deliveries, coalesce(sum(events), 0) as staged_events
    from {{ ref('stg_ad_events_by_campaign') }}
    where event_date = {{ run_date() }}
)

select source_rows.source_rows, staged.staged_deliveries, staged.staged_events
from source_rows cross join staged
where source_rows.source_rows <> staged.staged_deliveries
