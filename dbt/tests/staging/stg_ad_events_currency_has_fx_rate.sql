-- Why: spend in a currency without an FX rate has no KRW value and would silently vanish from ROAS.
-- An invariant of the conversion: error (add the rate to the fx_rates seed).
{{ config(severity='error') }}

select currency, count(*) as events
from {{ ref('stg_ad_events_row_checks') }}
where event_date = {{ run_date() }}
  and missing_fx_rate
group by currency
