-- Why: a day with no events means Flink lost the day or wrote it elsewhere; reporting zero spend would be a lie.
-- No real day of a running account is empty: error.
{{ config(severity='error') }}

select {{ run_date() }} as run_date, coalesce(sum(events), 0) as events
from {{ ref('stg_ad_events_by_campaign') }}
where event_date = {{ run_date() }}
having coalesce(sum(events), 0) = 0
