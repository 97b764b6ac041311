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

{#- fakesnow creates TEMPORARY tables only in DuckDB's `temp` catalog, where a temporary table
    named database.schema.name does not parse (and DESCRIBE finds no columns for an unqualified
    one). dbt's scratch tables (incremental `__dbt_tmp`, snapshot staging) are therefore built as
    ordinary tables there; dbt drops them after use either way. -#}
{% macro create_table_as(temporary, relation, compiled_code, language='sql') -%}
    {%- if warehouse_emulator() == 'fakesnow' -%}
        {%- set temporary = false -%}
    {%- endif -%}
    {#- adapters add keyword arguments (dbt-duckdb: partitioned_by, sorted_by): pass them on -#}
    {{ return(dbt.create_table_as(temporary, relation, compiled_code, language, **kwargs)) }}
{%- endmacro %}

{#- fakesnow runs MERGE as several DuckDB statements, which it cannot bind with dbt's
    unqualified insert values nor run inside dbt's explicit transaction; there the snapshot's
    merge is written as the UPDATE + INSERT pair it stands for (what dbt-postgres emits). -#}
{% macro snapshot_merge_sql(target, source, insert_cols) -%}
    {%- if warehouse_emulator() != 'fakesnow' -%}
        {{ return(adapter.dispatch('snapshot_merge_sql', 'dbt')(target, source, insert_cols)) }}
    {%- endif -%}
    update {{ target.render() }} as DBT_INTERNAL_DEST
    set dbt_valid_to = DBT_INTERNAL_SOURCE.dbt_valid_to
    from {{ source }} as DBT_INTERNAL_SOURCE
    where DBT_INTERNAL_SOURCE.dbt_scd_id = DBT_INTERNAL_DEST.dbt_scd_id
        and DBT_INTERNAL_SOURCE.dbt_change_type in ('update', 'delete')
        and DBT_INTERNAL_DEST.dbt_valid_to is null;

    insert into {{ target.render() }} ({{ insert_cols | join(', ') }})
    select {% for col in insert_cols %}DBT_INTERNAL_SOURCE.{{ col }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ source }} as DBT_INTERNAL_SOURCE
    where DBT_INTERNAL_SOURCE.dbt_change_type = 'insert'
{%- endmacro %}
