-- Why: more clicks than impressions in an hour means events were lost or mislabelled upstream.
{{ config(severity='error') }}

select event_hour, campaign_id, impressions, clicks
from {{ ref('int_hourly_agg') }}
where event_date = {{ run_date() }}
  and clicks > impressions
