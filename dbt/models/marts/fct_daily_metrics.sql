-- Grain: one row per (metric_date, campaign_id) of the run date. The campaign's funnel, spend,
-- revenue (KRW) and the ratios the marketing team reads: CTR, CVR, CPC, CPA, ROAS.
with

hourly as (
    select * from {{ ref('int_hourly_agg') }}
    where event_date = {{ run_date() }}
),

campaigns as (
    select * from {{ ref('campaigns') }}
),

daily as (
    select
        event_date as metric_date,
        campaign_id,
        channel,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        sum(conversions) as conversions,
        sum(spend_krw) as spend_krw,
        sum(revenue_krw) as revenue_krw,
        count(*) as active_hours
    from hourly
    group by event_date, campaign_id, channel
),

final as (
    select
        daily.metric_date,
        daily.campaign_id,
        campaigns.campaign_name,
        daily.channel,
        daily.impressions::bigint as impressions,
        daily.clicks::bigint as clicks,
        daily.conversions::bigint as conversions,
        daily.spend_krw,
        daily.revenue_krw,
        {{ safe_divide('daily.clicks', 'daily.impressions') }} as ctr,
        {{ safe_divide('daily.conversions', 'daily.clicks') }} as cvr,
        {{ safe_divide('daily.spend_krw', 'daily.clicks') }} as cpc_krw,
        {{ safe_divide('daily.spend_krw', 'daily.conversions') }} as cpa_krw,
        {{ function('roas') }}(daily.revenue_krw, daily.spend_krw) as roas,
        daily.active_hours
    from daily
    left join campaigns on campaigns.campaign_id = daily.campaign_id
)

select * from final
