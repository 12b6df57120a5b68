-- Grain: one row per campaign of the run date, and one total row (campaign_id null): the day as
-- published before this run (before) against the day this run built (after). When the run
-- replaces a published day (a restatement), the publish step copies these rows into
-- orchestrator.restatements in the same transaction. On a day's first run, `before` is empty.
with

after_campaigns as (
    select * from {{ ref('fct_daily_metrics') }}
    where metric_date = {{ run_date() }}
),

before_campaigns as (
    select * from {{ published_ref('fct_daily_metrics') }}
    where metric_date = {{ run_date() }}
),

cuts as (
    select
        (select rows from {{ source('realtime_cut', 'cuts') }}
         where run_date = {{ run_date() }} and published_at is not null
         order by published_at desc, cut_id desc limit 1) as rows_before,
        {{ current_cut_rows() }} as rows_after
),

per_campaign as (
    select
        coalesce(a.campaign_id, b.campaign_id) as campaign_id,
        b.spend_krw as spend_before,
        a.spend_krw as spend_after,
        b.revenue_krw as revenue_before,
        a.revenue_krw as revenue_after,
        b.conversions as conversions_before,
        a.conversions as conversions_after,
        b.roas as roas_before,
        a.roas as roas_after
    from after_campaigns as a
    full outer join before_campaigns as b on b.campaign_id = a.campaign_id
),

total as (
    select
        null::text as campaign_id,
        sum(spend_before) as spend_before,
        sum(spend_after) as spend_after,
        sum(revenue_before) as revenue_before,
        sum(revenue_after) as revenue_after,
        sum(conversions_before)::bigint as conversions_before,
        sum(conversions_after)::bigint as conversions_after,
        {{ function('roas') }}(sum(revenue_before), sum(spend_before)) as roas_before,
        {{ function('roas') }}(sum(revenue_after), sum(spend_after)) as roas_after
    from per_campaign
),

both_levels as (
    select * from per_campaign
    union all
    select * from total
),

final as (
    select
        {{ run_date() }} as metric_date,
        both_levels.campaign_id,
        cuts.rows_before,
        cuts.rows_after,
        both_levels.spend_before,
        both_levels.spend_after,
        both_levels.revenue_before,
        both_levels.revenue_after,
        both_levels.conversions_before,
        both_levels.conversions_after,
        both_levels.roas_before,
        both_levels.roas_after,
        -- How far the figures moved, as a share of where they were: the largest of spend, revenue
        -- and ROAS (null without a before). What the nightly message compares with its threshold.
        round(greatest(
            abs({{ safe_divide('both_levels.spend_after - both_levels.spend_before', 'both_levels.spend_before') }}),
            abs({{ safe_divide('both_levels.revenue_after - both_levels.revenue_before', 'both_levels.revenue_before') }}),
            abs({{ safe_divide('both_levels.roas_after - both_levels.roas_before', 'both_levels.roas_before') }})
        ), 6) as largest_change
    from both_levels
    cross join cuts
)

select * from final
