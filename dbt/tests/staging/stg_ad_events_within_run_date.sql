-- Why: a row whose event_time falls outside its event_date would be counted on the wrong day.
{{ config(severity='error') }}

select event_id, event_time, event_date
from {{ ref('stg_ad_events_row_checks') }}
where event_date = {{ run_date() }}
  and outside_run_date
