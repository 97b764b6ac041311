-- Repeatable: re-applied when the schemas change. One schema per lake zone the loader copies
-- (warehouse/keys.py) and per dbt layer (each +schema of dbt_project.yml, and dbt's default).
{% for schema in a.schemas %}
create schema if not exists {{ a.database }}.{{ schema }};
{% endfor %}
