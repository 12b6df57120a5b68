-- Why: spend in a currency without an FX rate has no KRW value and would silently vanish from ROAS.
{{ config(severity='error') }}

select currency, count(*) as events
from {{ ref('stg_ad_events') }}
where event_date = {{ run_date() }}
  and krw_per_unit is null
group by currency
