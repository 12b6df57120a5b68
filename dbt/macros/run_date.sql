{#- The run date as text, YYYY-MM-DD, checked. Every model and test of a run is scoped to it.
    It is a run-time value: the orchestrator sets ROAS_RUN_DATE for each dbt process (a person may
    pass --vars '{run_date: …}' instead). It is read only while executing, never while parsing,
    so one saved parse serves every date and nothing date-specific is ever baked into it. -#}
{% macro run_date_string() -%}
  {%- if not execute -%}
    {{ return('1970-01-01') }}
  {%- endif -%}
  {%- set value = var('run_date', none) -%}
  {%- if value is none -%}
    {%- set value = env_var('ROAS_RUN_DATE', '') -%}
  {%- endif -%}
  {%- if not value -%}
    {{ exceptions.raise_compiler_error("The run date is required: set ROAS_RUN_DATE=YYYY-MM-DD (or pass --vars '{run_date: YYYY-MM-DD}').") }}
  {%- endif -%}
  {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value | string) -%}
    {{ exceptions.raise_compiler_error("run_date '" ~ value ~ "' is not a date: write it as YYYY-MM-DD.") }}
  {%- endif -%}
  {{ return(value | string) }}
{%- endmacro %}

{#- The run date as a SQL date literal. -#}
{% macro run_date() -%}
  {{ return("date '" ~ run_date_string() ~ "'") }}
{%- endmacro %}

{#- Bounds of the run date in UTC, as timestamptz literals, so PostgreSQL prunes to one partition. -#}
{% macro run_date_start() -%}
  ({{ run_date() }}::timestamp at time zone 'UTC')
{%- endmacro %}

{% macro run_date_end() -%}
  (({{ run_date() }} + 1)::timestamp at time zone 'UTC')
{%- endmacro %}

{#- Generic tests of dated models look at the run date's rows only: their `where` config says
    __run_date__, filled in here while executing (a `where` rendered while parsing would carry
    the date of whichever run saved the parse). -#}
{% macro get_where_subquery(relation) -%}
  {%- set where = config.get('where', '') -%}
  {%- if where -%}
    {%- set where = where | replace('__run_date__', run_date()) -%}
    {%- do return("(select * from " ~ relation ~ " where " ~ where ~ ") dbt_subquery") -%}
  {%- endif -%}
  {%- do return(relation) -%}
{%- endmacro %}
