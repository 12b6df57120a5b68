{#- Write, audit, publish. A model of a dated pipeline step is built for one run date into a table
    of its own in the audit schema, where readers of `analytics` do not look; the step's tests read
    exactly those rows; only when every error-severity test has passed does the orchestrator
    publish the day, for all models of the step in one transaction, by attaching each audited
    table as that day's partition of the published table. -#}

{% macro audit_schema() -%}
  {{ return('analytics_audit') }}
{%- endmacro %}

{#- One day of a model: <model>_pYYYYMMDD, in the audit schema until published, then in the
    model's own schema as a partition of the model's table. -#}
{% macro day_identifier(identifier, day) -%}
  {{ return(identifier ~ '_p' ~ (day | replace('-', ''))) }}
{%- endmacro %}

{% macro audited_relation(relation, day) -%}
  {{ return(api.Relation.create(database=relation.database, schema=audit_schema(), identifier=day_identifier(relation.identifier, day), type='table')) }}
{%- endmacro %}

{#- The graph node of a model, by name (none for seeds, sources and unknown names). -#}
{% macro model_node(name) -%}
  {%- for node in graph.nodes.values() -%}
    {%- if node.resource_type == 'model' and node.name == name -%}
      {{ return(node) }}
    {%- endif -%}
  {%- endfor -%}
  {{ return(none) }}
{%- endmacro %}

{#- ref(), as dbt's, except that inside a step a model of the same step is read where it was
    just built: the run date's audited table. Everything else (seeds, models of the other step,
    history) resolves to the published tables. -#}
{% macro ref() -%}
  {%- set version = kwargs.get('version') or kwargs.get('v') -%}
  {%- if (varargs | length) == 1 -%}
    {%- set relation = builtins.ref(varargs[0], version=version) -%}
  {%- else -%}
    {%- set relation = builtins.ref(varargs[0], varargs[1], version=version) -%}
  {%- endif -%}
  {%- if not execute or model is not mapping or model.get('resource_type') == 'unit_test' -%}
    {{ return(relation) }}
  {%- endif -%}
  {%- set target_node = model_node(varargs[-1]) -%}
  {%- if target_node is none or target_node.config.materialized != 'audited_day' -%}
    {{ return(relation) }}
  {%- endif -%}
  {%- set shared = target_node.tags | select('in', model.get('tags', [])) | list -%}
  {%- if shared | length == 0 -%}
    {{ return(relation) }}
  {%- endif -%}
  {{ return(audited_relation(relation, run_date_string())) }}
{%- endmacro %}

{#- The published table of a model: every validated day, never an unpublished one. For reads of
    history, e.g. the days before the run date. -#}
{% macro published_ref(name) -%}
  {{ return(builtins.ref(name)) }}
{%- endmacro %}
