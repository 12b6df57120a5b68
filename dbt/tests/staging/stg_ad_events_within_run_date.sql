-- Why: a row whose event_time falls outside its event_date would be counted on the wrong day.
-- An invariant: error (a late event keeps its own event_time, so its own day).
{{ config(severity='error') }}

select event_id, event_time, event_date
from {{ ref('stg_ad_events_row_checks') }}
where event_date = {{ run_date() }}
  and outside_run_date
