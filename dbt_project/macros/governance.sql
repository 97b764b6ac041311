{#-
  Snowflake governance, kept in the project beside the models it protects. Every macro renders
  nothing on other targets (DuckDB has no roles, tags or policies).

  - `create_governance_objects` (on-run-start): schema `governance` with the tag `pii` and the
    masking policy `mask_pii`, which shows a PII value only to roles holding PII_READER.
  - `apply_column_governance` (post-hook of marts and snapshots): every column whose meta says
    `pii: <kind>` gets the tag (pii = kind) and the masking policy. FORCE replaces the policy
    an incremental model's column may already have; rebuilt tables start without one.
  - `grant_schema_usage` (on-run-end): dbt's `grants` give SELECT on each mart; analysts also
    need USAGE on the schema.
-#}

{% macro snowflake_governance_enabled(feature) -%}
    {{ return(target.type == 'snowflake' and emulator_supports(feature)) }}
{%- endmacro %}

{% macro create_governance_objects() -%}
    {%- if snowflake_governance_enabled('tags') -%}
        create schema if not exists {{ target.database }}.governance;
        create tag if not exists {{ target.database }}.governance.pii
            comment = 'Column holds personal data (value: how it is protected, e.g. hmac_sha256)';
    {%- endif -%}
    {%- if snowflake_governance_enabled('masking_policies') %}
        create masking policy if not exists {{ target.database }}.governance.mask_pii
            as (val string) returns string ->
            case when is_role_in_session('{{ env_var("SNOWFLAKE_PII_READER_ROLE", "PII_READER") }}')
                 then val else '***MASKED***' end;
    {%- endif -%}
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

{% macro grant_schema_usage(schemas) -%}
    {%- if snowflake_governance_enabled('grants') -%}
        {%- for schema in schemas %}
        grant usage on schema {{ target.database }}.{{ schema }}
            to role {{ env_var('SNOWFLAKE_ANALYST_ROLE', 'ANALYST') }};
        {%- endfor -%}
    {%- endif -%}
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
