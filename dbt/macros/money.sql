{#- Micros (millionths) of a currency to the reporting currency, KRW, kept to 6 decimals. -#}
{% macro micros_to_krw(micros_column, krw_per_unit_column) -%}
  cast(round({{ micros_column }}::numeric / 1000000 * {{ krw_per_unit_column }}, 6) as numeric(20, 6))
{%- endmacro %}

{#- a / b to 8 decimals, or null when b is 0: a campaign with no clicks has no CVR, not an infinite one. -#}
{% macro safe_divide(numerator, denominator) -%}
  cast(round({{ numerator }}::numeric / nullif({{ denominator }}, 0), 8) as numeric(24, 8))
{%- endmacro %}

{#- Return on ad spend: revenue over spend, both in KRW. -#}
{% macro roas(revenue, spend) -%}
  cast(round({{ revenue }}::numeric / nullif({{ spend }}, 0), 6) as numeric(20, 6))
{%- endmacro %}
