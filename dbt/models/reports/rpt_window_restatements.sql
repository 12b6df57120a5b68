-- Grain: one row per (report_date, metric_date) for each day of the 7-day window ending on the run
-- date that was restated (its published version replaced after late rows arrived): how many
-- times, when last, and how far its total ROAS moved from its first publication to now.
with

restated as (
    select * from {{ source('orchestrator', 'restatements') }}
    where campaign_id is null
      and run_date between {{ run_date() }} - 6 and {{ run_date() }}
),

per_day as (
    select
        run_date as metric_date,
        count(*) as restatements,
        max(restated_at) as last_restated_at,
        (array_agg(roas_before order by restated_at, id))[1] as roas_first_published,
        (array_agg(roas_after order by restated_at desc, id desc))[1] as roas_now,
        (array_agg(rows_before order by restated_at, id))[1] as rows_first_published,
        (array_agg(rows_after order by restated_at desc, id desc))[1] as rows_now
    from restated
    group by run_date
),

final as (
    select
        {{ run_date() }} as report_date,
        metric_date,
        restatements,
        last_restated_at,
        rows_first_published,
        rows_now,
        roas_first_published,
        roas_now,
        round(100 * ({{ safe_divide('roas_now', 'roas_first_published') }} - 1), 1) as roas_change_pct
    from per_day
)

select * from final
