-- Why: a day with no events means Flink lost the day or wrote it elsewhere; reporting zero spend would be a lie.
{{ config(severity='error') }}

select {{ run_date() }} as run_date, count(*) as events
from {{ ref('stg_ad_events') }}
where event_date = {{ run_date() }}
having count(*) = 0
