-- Why: a row whose event_time falls outside its event_date would be counted on the wrong day.
{{ config(severity='error') }}

select event_id, event_time, event_date
from {{ ref('stg_ad_events') }}
where event_date = {{ run_date() }}
  and (event_time < {{ run_date_start() }} or event_time >= {{ run_date_end() }})
