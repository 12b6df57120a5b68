-- Why: ad platforms never charge negative cost nor report negative conversion value; such rows are corrupt.
{{ config(severity='error') }}

select event_id, event_type, cost_micros, revenue_micros
from {{ ref('stg_ad_events') }}
where event_date = {{ run_date() }}
  and (cost_micros < 0 or revenue_micros < 0)
