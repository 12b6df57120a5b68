-- Why: two rows for one campaign and day (a re-run that did not replace its rows) double every total.
-- An invariant (a restatement replaces the day, it never adds to it): error.
{{ config(severity='error') }}

select metric_date, campaign_id, count(*) as rows_for_key
from {{ ref('fct_daily_metrics') }}
where metric_date = {{ run_date() }}
group by metric_date, campaign_id
having count(*) > 1
