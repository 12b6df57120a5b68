-- Why: staging drops repeated event_ids (at-least-once delivery), but many repeats point at a Flink replay worth a look.
{{ config(severity='warn') }}

select event_id, count(*) as copies
from {{ source('realtime', 'ad_events') }}
where event_time >= {{ run_date_start() }} and event_time < {{ run_date_end() }}
group by event_id
having count(*) > 1
