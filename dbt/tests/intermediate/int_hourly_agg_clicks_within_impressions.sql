-- Why: more clicks than impressions in an hour means events were lost or mislabelled upstream.
-- Stays an error: a click is always on a served impression, and both are delivered within seconds
-- of each other (conversion lag and view-through concern conversions only). A click on an
-- impression of the hour before would show here only when an hour has almost no traffic.
{{ config(severity='error') }}

select event_hour, campaign_id, impressions, clicks
from {{ ref('int_hourly_agg') }}
where event_date = {{ run_date() }}
  and clicks > impressions
