-- Why: a conversion needs a click first (click-through attribution); more conversions than clicks is broken attribution.
{{ config(severity='error') }}

with

daily as (
    select campaign_id, sum(clicks) as clicks, sum(conversions) as conversions
    from {{ ref('int_hourly_agg') }}
    where event_date = {{ run_date() }}
    group by campaign_id
)

select campaign_id, clicks, conversions
from daily
where conversions > clicks
