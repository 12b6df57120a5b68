-- Why: CTR and CVR are shares and must lie between 0 and 1; CPC and CPA are never negative.
{{ config(severity='error') }}

select campaign_id, ctr, cvr, cpc_krw, cpa_krw
from {{ ref('fct_daily_metrics') }}
where metric_date = {{ run_date() }}
  and (
      ctr not between 0 and 1
      or cvr not between 0 and 1
      or cpc_krw < 0
      or cpa_krw < 0
  )
