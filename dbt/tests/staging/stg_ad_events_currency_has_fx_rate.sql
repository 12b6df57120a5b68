-- Why: spend in a currency without an FX rate has no KRW value and would silently vanish from ROAS.
{{ config(severity='error') }}

select currency, count(*) as events
from {{ ref('stg_ad_events_row_checks') }}
where event_date = {{ run_date() }}
  and missing_fx_rate
group by currency
