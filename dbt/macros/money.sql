{#- Exact arithmetic for money and ratios. Every figure carries an explicit scale that holds for
    any value its inputs allow (bigint micros, numeric FX rates): products are exact in PostgreSQL
    numeric, and a quotient is taken to 20 decimals before it is rounded, whatever its size (a
    plain numeric division keeps only about 16 significant digits). No precision cap: a cap
    would turn an extreme value into an overflow error or a silently different number. -#}

{#- Micros (millionths) of a currency to KRW, rounded half away from zero to 6 decimals. -#}
{% macro micros_to_krw(micros_column, krw_per_unit_column) -%}
  round({{ micros_column }}::numeric * {{ krw_per_unit_column }} * 0.000001, 6)
{%- endmacro %}

{#- a / b to 8 decimals, or null when b is 0: a campaign with no clicks has no CVR, not an infinite one. -#}
{% macro safe_divide(numerator, denominator) -%}
  round(({{ numerator }})::numeric(1000, 20) / nullif({{ denominator }}, 0), 8)
{%- endmacro %}

