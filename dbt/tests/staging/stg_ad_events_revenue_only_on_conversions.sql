-- Why: revenue on an impression or a click would inflate ROAS with value nobody converted.
-- An invariant (view-through conversions are conversions, with their own row): error.
{{ config(severity='error') }}

select event_id, event_type, revenue_micros
from {{ ref('stg_ad_events_row_checks') }}
where event_date = {{ run_date() }}
  and revenue_outside_conversion
