-- Why: a campaign with more than 24 hourly rows in a day, or an hour outside the day, double counts.
-- An invariant of the aggregation whatever the data: error.
{{ config(severity='error') }}

select campaign_id, count(*) as hours, min(event_hour) as first_hour, max(event_hour) as last_hour
from {{ ref('int_hourly_agg') }}
where event_date = {{ run_date() }}
group by campaign_id
having count(*) > 24
    or min(event_hour) < {{ run_date() }}::timestamp
    or max(event_hour) >= ({{ run_date() }} + 1)::timestamp
