{#-
  Layer schemas keep their plain names (staging, intermediate, marts) instead of dbt's default
  <target_schema>_<name>, so BI, ML and sharing read `marts.fct_orders` in every target.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
