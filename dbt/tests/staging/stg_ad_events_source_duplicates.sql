-- Why: staging drops repeated event_ids (at-least-once delivery), but many repeats point at a Flink replay worth a look.
-- Real streams repeat deliveries legitimately: a warning.
{{ config(severity='warn') }}

select event_id, deliveries as copies
from {{ ref('stg_ad_events_row_checks') }}
where event_date = {{ run_date() }}
  and duplicate_delivery
