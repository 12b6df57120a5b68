-- Why: events that arrived after Flink reported the day complete (conversion lag, late deliveries)
-- are normal for ad data: a restatement of the day brings them in, and its record says what moved.
-- Listed as a warning, never an error: real data has them every day.
{{ config(severity='warn') }}

select event_id, event_time, ingested_at
from {{ ref('stg_ad_events_row_checks') }}
where event_date = {{ run_date() }}
  and late_arrival
