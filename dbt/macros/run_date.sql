{#- The run date as text, YYYY-MM-DD, checked. Every model and test of a run is scoped to it. -#}
{% macro run_date_string() -%}
  {%- set value = var('run_date', none) -%}
  {%- if value is none -%}
    {%- if execute -%}
      {{ exceptions.raise_compiler_error("The var run_date is required: pass --vars '{run_date: YYYY-MM-DD}'.") }}
    {%- endif -%}
    {{ return('1970-01-01') }}
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
