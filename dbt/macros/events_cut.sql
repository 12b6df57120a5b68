{#- The run date's events as this run reads them: the frozen cut the orchestrator took for the
    run before dbt started (realtime_cut.ad_events_pYYYYMMDD, recorded in realtime_cut.cuts), so
    every model and test of the run sees the same rows, however many arrive meanwhile. While
    parsing, and in unit tests, it is the source itself: the lineage names realtime.ad_events,
    and a unit test's given rows stand in for it. -#}
{% macro events_cut() -%}
  {%- set events = source('realtime', 'ad_events') -%}
  {%- if not execute or model is not mapping or model.get('resource_type') == 'unit_test' -%}
    {{ return(events) }}
  {%- endif -%}
  {%- set day = run_date_string() -%}
  {%- set identifier = 'ad_events_p' ~ (day | replace('-', '')) -%}
  {%- set found = run_query("select to_regclass('realtime_cut." ~ identifier ~ "') is not null as present") -%}
  {%- if not found.columns[0].values()[0] -%}
    {{ exceptions.raise_compiler_error(
      "No cut of the events of " ~ day ~ " exists (realtime_cut." ~ identifier ~ "). A run reads the cut the orchestrator takes " ~
      "before dbt starts: run the day with `roas run dbt --date " ~ day ~ "`, or take a cut by hand first: " ~
      "psql -c \"begin isolation level repeatable read; select realtime_cut.take('" ~ day ~ "', 'by-hand', gen_random_uuid()::text, 'manual'); commit;\"") }}
  {%- endif -%}
  {{ return(api.Relation.create(database=events.database, schema='realtime_cut', identifier=identifier, type='table')) }}
{%- endmacro %}

{#- The recorded cut this run reads: its row in realtime_cut.cuts (the day's latest). -#}
{% macro current_cut_rows() -%}
  (select rows from {{ source('realtime_cut', 'cuts') }} where run_date = {{ run_date() }} order by cut_id desc limit 1)
{%- endmacro %}
