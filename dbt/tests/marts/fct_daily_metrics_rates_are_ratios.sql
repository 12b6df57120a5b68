-- Why: CTR is a share and lies between 0 and 1 (a click is on a served impression); CPC and CPA
-- are never negative. Invariants: error. CVR (conversions over clicks) is not checked here: with
-- view-through conversions and conversion lag it exceeds 1 legitimately
-- (int_hourly_agg_conversions_within_clicks warns when it is far above).
{{ config(severity='error') }}

select campaign_id, ctr, cvr, cpc_krw, cpa_krw
from {{ ref('fct_daily_metrics') }}
where metric_date = {{ run_date() }}
  and (
      ctr not between 0 and 1
      or cvr < 0
      or cpc_krw < 0
      or cpa_krw < 0
  )
