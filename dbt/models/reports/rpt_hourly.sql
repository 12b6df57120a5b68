-- Grain: one row per (report_date, hour): spend and revenue of every campaign by UTC hour.
with

hourly as (
    select * from {{ ref('int_hourly_agg') }}
    where event_date = {{ run_date() }}
),

by_hour as (
    select
        extract(hour from event_hour)::integer as hour,
        sum(spend_krw) as spend_krw,
        sum(revenue_krw) as revenue_krw
    from hourly
    group by 1
),

final as (
    select
        {{ run_date() }} as report_date,
        hour,
        spend_krw,
        revenue_krw,
        {{ function('roas') }}(revenue_krw, spend_krw) as roas
    from by_hour
)

select * from final
