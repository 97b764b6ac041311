{#-
  Snowflake governance, kept in the project beside the models it protects. Every macro renders
  nothing on other targets (DuckDB has no roles, tags or policies).

  The tag `governance.pii` and the masking policy `governance.mask_pii` (a PII value shown only
  to sessions holding PII_READER; bound to the tag, so every tagged column is masked) are
  created by the Snowflake migrations (platform_assets/warehouse/snowflake_objects,
  `lakehouse snowflake apply`), which run before dbt.

  - `apply_column_governance` (post-hook of marts and snapshots): every column whose meta says
    `pii: <kind>` gets the tag (pii = kind) and the masking policy. FORCE replaces the policy
    an incremental model's column may already have; rebuilt tables start without one.
  dbt's `grants` give SELECT on each model it builds; the USAGE on the schema those roles also
  need is granted by the same migrations (from the same `+grants`).
-#}

{% macro snowflake_governance_enabled(feature) -%}
    {{ return(target.type == 'snowflake' and emulator_supports(feature)) }}
{%- endmacro %}

{% macro apply_column_governance() -%}
    {%- set statements = [] -%}
    {%- for column in model.columns.values() -%}
        {%- set pii = (column.get('meta') or {}).get('pii') or ((column.get('config') or {}).get('meta') or {}).get('pii') -%}
        {%- if pii and snowflake_governance_enabled('tags') -%}
            {%- do statements.append("alter table " ~ this ~ " modify column " ~ column.name
                ~ " set tag " ~ target.database ~ ".governance.pii = '" ~ pii ~ "'") -%}
        {%- endif -%}
        {%- if pii and snowflake_governance_enabled('masking_policies') -%}
            {%- do statements.append("alter table " ~ this ~ " modify column " ~ column.name
                ~ " set masking policy " ~ target.database ~ ".governance.mask_pii force") -%}
        {%- endif -%}
    {%- endfor -%}
    {{ statements | join(';\n') }}
{%- endmacro %}

{#- dbt enforces a model contract when it creates a table or a view; dbt-snowflake's dynamic
    tables skip that check. This pre-hook runs the same check (names and types of the model's
    query against its YAML) before any build, so a dynamic table's contract holds too. It
    renders no SQL. -#}
{% macro assert_contract() -%}
    {%- if execute and config.get('contract').enforced -%}
        {%- do get_assert_columns_equivalent(model['compiled_code']) -%}
    {%- endif -%}
{%- endmacro %}
