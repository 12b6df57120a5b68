{#- Builds the run date's rows of a model into its audited table (see relations.sql), checked to
    hold that date only (a CHECK constraint, which also lets PostgreSQL attach it as a partition
    without scanning it again), and makes sure the published table exists, partitioned by the
    date column, with the same columns. Publishing is the orchestrator's, after the tests. -#}
{% materialization audited_day, adapter='postgres' %}
  {%- set day = run_date_string() -%}
  {%- set date_column = config.get('meta', {}).get('date_column') -%}
  {%- if not date_column -%}
    {{ exceptions.raise_compiler_error("Model " ~ this.identifier ~ " is materialized audited_day but has no meta.date_column: set it in dbt_project.yml.") }}
  {%- endif -%}
  {%- set audited = audited_relation(this, day) -%}
  {%- set tags = model.tags | list -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {#- Two builds of one model and day (a dead worker's dbt and its retry) queue here. -#}
  {% call statement('lock_day') -%}
    select pg_advisory_xact_lock(hashtext('{{ audited.schema }}.{{ audited.identifier }}'))
  {%- endcall %}
  {#- The day's previous table goes whoever made it (a by-hand dbt as another login, say): the
      owner of the schema drops it (migrations/0010_audit_leftovers.sql), so a leftover is
      replaced, never a reason for the build to fail. -#}
  {% call statement('drop_previous_audit') -%}
    select {{ audit_schema() }}.drop_audited_day('{{ audited.identifier }}')
  {%- endcall %}
  {#- With an enforced contract, the declared columns and types, checked against the SQL. -#}
  {% call statement('main') -%}
    {{ get_create_table_as_sql(False, audited, compiled_code) }}
  {%- endcall %}
  {#- Autovacuum off until the day is published (publishing turns it back on): a table it
      just built is what autovacuum would pick next, and its scan would hold the lock publishing
      needs (publishing then waits until the autovacuum gives up, about a second). Set in the
      transaction that creates the table, so autovacuum never sees it otherwise. -#}
  {% call statement('check_day') -%}
    alter table {{ audited }} set (autovacuum_enabled = false);
    alter table {{ audited }} add constraint {{ audited.identifier }}_day
      check ({{ adapter.quote(date_column) }} is not null and {{ adapter.quote(date_column) }} = date '{{ day }}');
    comment on table {{ audited }} is '{{ tojson({"model": this.identifier, "schema": this.schema, "date_column": date_column, "run_date": day, "tags": tags}) }}'
  {%- endcall %}

  {#- Two dates building at once (a backfill) on a database without the published table yet
      would both create it: the second waits here, then sees the first one's table. pg_class is
      read as a table (a fresh snapshot), not through dbt's cache of relations read when this
      run started nor the server's catalog cache, either of which may not know it yet. -#}
  {% call statement('lock_published') -%}
    select pg_advisory_xact_lock(hashtext('{{ this.schema }}.{{ this.identifier }}'))
  {%- endcall %}
  {%- set found = run_query("select exists (select 1 from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where n.nspname = '" ~ this.schema ~ "' and c.relname = '" ~ this.identifier ~ "') as present") -%}
  {%- if not found.columns[0].values()[0] -%}
    {% call statement('create_published') -%}
      create table {{ this }} (like {{ audited }}) partition by list ({{ adapter.quote(date_column) }})
    {%- endcall %}
  {%- else -%}
    {{ check_same_columns(audited, this) }}
  {%- endif -%}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [this]}) }}
{% endmaterialization %}

{#- A day with other columns than the published table cannot be attached to it: say which, and
    what to do, before any test runs. -#}
{% macro check_same_columns(audited, published) -%}
  {%- set query -%}
    select coalesce(a.attname, p.attname) as column_name,
           format_type(a.atttypid, a.atttypmod) as audited_type,
           format_type(p.atttypid, p.atttypmod) as published_type
    from (select attname, atttypid, atttypmod from pg_attribute
          where attrelid = '{{ audited.schema }}.{{ audited.identifier }}'::regclass and attnum > 0 and not attisdropped) a
    full join (select attname, atttypid, atttypmod from pg_attribute
          where attrelid = '{{ published.schema }}.{{ published.identifier }}'::regclass and attnum > 0 and not attisdropped) p
      on p.attname = a.attname
    where a.attname is null or p.attname is null or a.atttypid <> p.atttypid or a.atttypmod <> p.atttypmod
  {%- endset -%}
  {%- set differences = run_query(query) -%}
  {%- if differences.rows | length > 0 -%}
    {%- set lines = [] -%}
    {%- for row in differences.rows -%}
      {%- do lines.append(row[0] ~ ' (built: ' ~ (row[1] or 'missing') ~ ', published: ' ~ (row[2] or 'missing') ~ ')') -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(
      "The columns of " ~ published.identifier ~ " changed: " ~ lines | join(', ') ~
      ". Published days keep their columns; to change them, rebuild the table: drop " ~ published.schema ~ "." ~ published.identifier ~
      " (and its day partitions) and backfill the dates.") }}
  {%- endif -%}
{%- endmacro %}
