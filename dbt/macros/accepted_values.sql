{#- The accepted values of an event field (the project var accepted_values), as an SQL list:
    ('a', 'b'). The daily ETL's source validation reads the same var from dbt_project.yml. -#}
{% macro accepted_values_list(field) -%}
  {%- set values = var('accepted_values')[field] -%}
  ({% for v in values %}{{ "'" ~ (v | string | replace("'", "''")) ~ "'" }}{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}
