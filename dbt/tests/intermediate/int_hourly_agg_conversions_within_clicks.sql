-- Why: more conversions than clicks in a campaign's day often means broken attribution, but real ad
-- data breaks it legitimately: view-through conversions follow an impression without a click, and
-- with conversion lag a conversion lands days after its click. So a warning, past a threshold:
-- conversions above clicks times var('max_conversions_per_click') (default 1.5).
{{ config(severity='warn') }}

with

daily as (
    select campaign_id, sum(clicks) as clicks, sum(conversions) as conversions
    from {{ ref('int_hourly_agg') }}
    where event_date = {{ run_date() }}
    group by campaign_id
)

select campaign_id, clicks, conversions
from daily
where conversions > clicks * {{ var('max_conversions_per_click', 1.5) }}
