-- Why: ad platforms never charge negative cost nor report negative conversion value; such rows are corrupt.
-- An invariant: error (refunds and adjustments arrive as their own feed, not as negative events).
{{ config(severity='error') }}

select event_id, event_type, cost_micros, revenue_micros
from {{ ref('stg_ad_events_row_checks') }}
where event_date = {{ run_date() }}
  and negative_amount
