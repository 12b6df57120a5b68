-- Why: a campaign spending several times its 7-day average is often a bidding mistake; worth a human look, not a failed run.
-- Real data breaks it legitimately (a launch, a sale): a warning, past var('spend_spike_ratio').
{{ config(severity='warn') }}

with

today as (
    select campaign_id, spend_krw
    from {{ ref('fct_daily_metrics') }}
    where metric_date = {{ run_date() }}
),

-- The 7 days before: published, validated days only.
previous_7_days as (
    select campaign_id, avg(spend_krw) as avg_spend_krw, count(*) as days
    from {{ published_ref('fct_daily_metrics') }}
    where metric_date between {{ run_date() }} - 7 and {{ run_date() }} - 1
    group by campaign_id
)

select today.campaign_id, today.spend_krw, previous_7_days.avg_spend_krw
from today
join previous_7_days on previous_7_days.campaign_id = today.campaign_id
where previous_7_days.days >= 3
  and previous_7_days.avg_spend_krw > 0
  and today.spend_krw > {{ var('spend_spike_ratio') }} * previous_7_days.avg_spend_krw
