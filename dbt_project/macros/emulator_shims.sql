{#-
  SHIMS for CI parity on `fakesnow -s` (a local server speaking Snowflake's protocol, running
  the SQL on DuckDB). Active only when PLATFORM_WAREHOUSE_EMULATOR=fakesnow is declared; on
  real Snowflake every macro here is a pass-through. Each line says what fakesnow 0.12 lacks.
  (The loader's one shim, METADATA$FILENAME, is in platform_assets/warehouse/emulator.py.)
-#}

{% macro warehouse_emulator() -%}
    {{ return(env_var('PLATFORM_WAREHOUSE_EMULATOR', '')) }}
{%- endmacro %}

{#- What each emulator lacks. fakesnow: no roles (SHOW GRANTS / GRANT do not parse), no
    masking policies (CREATE / SET MASKING POLICY do not parse), no SHOW DYNAMIC TABLES. -#}
{% macro emulator_supports(feature) -%}
    {%- set missing = {
        'fakesnow': ['grants', 'masking_policies', 'dynamic_tables'],
    }.get(warehouse_emulator(), []) -%}
    {{ return(feature not in missing) }}
{%- endmacro %}

{#- dbt's `grants` config: skip SHOW GRANTS / GRANT where the emulator has no roles. -#}
{% macro snowflake__apply_grants(relation, grant_config, should_revoke=True) %}
    {%- if emulator_supports('grants') -%}
        {{ default__apply_grants(relation, grant_config, should_revoke) }}
    {%- endif -%}
{% endmacro %}

{#- A model that is a dynamic table on Snowflake and `fallback` elsewhere (DuckDB, fakesnow). -#}
{% macro dynamic_table_or(fallback) -%}
    {%- if target.type == 'snowflake' and emulator_supports('dynamic_tables') -%}
        {{ return('dynamic_table') }}
    {%- endif -%}
    {{ return(fallback) }}
{%- endmacro %}

{#- fakesnow creates TEMPORARY tables only in DuckDB's `temp` catalog, so a temporary table
    named database.schema.name does not parse; incremental models and snapshots name theirs
    unqualified there (a session's temporary table needs no schema on Snowflake either). -#}
{% macro snowflake__make_temp_relation(base_relation, suffix) %}
    {%- set relation = default__make_temp_relation(base_relation, suffix) -%}
    {%- if warehouse_emulator() == 'fakesnow' -%}
        {%- set relation = relation.incorporate(path={'database': none, 'schema': none}) -%}
    {%- endif -%}
    {{ return(relation) }}
{% endmacro %}
