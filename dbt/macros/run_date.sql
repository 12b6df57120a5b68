{#- The run date as a SQL date literal. Every model and test of a run is scoped to it. -#}
{% macro run_date() -%}
  {%- set value = var('run_date', none) -%}
  {%- if value is none -%}
    {%- if execute -%}
      {{ exceptions.raise_compiler_error("The var run_date is required: pass --vars '{run_date: YYYY-MM-DD}'.") }}
    {%- endif -%}
    {{ return("date '1970-01-01'") }}
  {%- endif -%}
  {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value | string) -%}
    {{ exceptions.raise_compiler_error("run_date '" ~ value ~ "' is not a date: write it as YYYY-MM-DD.") }}
  {%- endif -%}
  {{ return("date '" ~ value ~ "'") }}
{%- endmacro %}

{#- Bounds of the run date in UTC, as timestamptz literals, so PostgreSQL prunes to one partition. -#}
{% macro run_date_start() -%}
  ({{ run_date() }}::timestamp at time zone 'UTC')
{%- endmacro %}

{% macro run_date_end() -%}
  (({{ run_date() }} + 1)::timestamp at time zone 'UTC')
{%- endmacro %}

{#- Pre-hook of every dated model: remove the run date's rows before inserting them again. -#}
{% macro delete_run_date_rows(date_column) -%}
  {%- if is_incremental() -%}
    delete from {{ this }} where {{ date_column }} = {{ run_date() }}
  {%- endif -%}
{%- endmacro %}

{#- Post-hook: the date column is how every run finds, deletes and reads its rows. Only when the
    table is first built: CREATE INDEX takes a share lock, and two dates running at once (a
    backfill) would deadlock on it inside their transactions. -#}
{% macro index_date_column(date_column) -%}
  {%- if not is_incremental() -%}
    create index if not exists {{ this.identifier }}_{{ date_column }}_idx on {{ this }} ({{ date_column }})
  {%- endif -%}
{%- endmacro %}

{#- First pre-hook of every dated model: one writer per model and date at a time. A dbt left
    running by a worker that died (kill -9) and its retry on another worker may overlap; the
    lock (held to the end of the model's transaction) makes the second wait and then delete the
    first one's rows, so a date never holds two copies. -#}
{% macro lock_run_date() -%}
  {%- if is_incremental() -%}
    select pg_advisory_xact_lock(hashtext('{{ this }}'), hashtext({{ run_date() }}::text))
  {%- endif -%}
{%- endmacro %}
