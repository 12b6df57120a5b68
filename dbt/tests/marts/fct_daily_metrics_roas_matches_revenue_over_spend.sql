-- Why: ROAS is the number the business acts on; it must equal revenue / spend exactly as stored.
-- An invariant of the arithmetic: error.
{{ config(severity='error') }}

select campaign_id, spend_krw, revenue_krw, roas
from {{ ref('fct_daily_metrics') }}
where metric_date = {{ run_date() }}
  and (
      (spend_krw = 0 and roas is not null)
      or (spend_krw <> 0 and abs(roas - revenue_krw / spend_krw) > 0.0000005)
  )
