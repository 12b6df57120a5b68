-- Why: events that arrived after Flink reported the day complete may be missing from an earlier run of the date.
{{ config(severity='warn') }}

select event_id, event_time, ingested_at
from {{ ref('stg_ad_events_row_checks') }}
where event_date = {{ run_date() }}
  and late_arrival
