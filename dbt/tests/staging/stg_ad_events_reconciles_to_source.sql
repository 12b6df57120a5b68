-- Why: staging must account for every row of the run's cut of the day (the rows it read, recorded
-- in realtime_cut.cuts): each distinct event once, its repeated deliveries counted, no row lost or
-- doubled. An invariant: error. Rows that arrived after the cut are not this run's; the nightly
-- restatement brings them in.
{{ config(severity='error') }}

with

source_rows as (
    select count(*) as source_rows, {{ current_cut_rows() }} as recorded_rows
    from {{ events_cut() }}
    where event_time >= {{ run_date_start() }} and event_time < {{ run_date_end() }}
),

staged as (
    select coalesce(sum(deliveries), 0) as staged_deliveries, coalesce(sum(events), 0) as staged_events
    from {{ ref('stg_ad_events_by_campaign') }}
    where event_date = {{ run_date() }}
)

select source_rows.source_rows, source_rows.recorded_rows, staged.staged_deliveries, staged.staged_events
from source_rows cross join staged
where source_rows.source_rows <> staged.staged_deliveries
   or source_rows.recorded_rows is distinct from source_rows.source_rows
