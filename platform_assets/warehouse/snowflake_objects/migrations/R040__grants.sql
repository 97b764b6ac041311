-- fakesnow: render-only (no roles: GRANT does not parse)
-- Repeatable: re-applied when a schema, a role or dbt's +grants change.
{% for role in a.roles.all() %}
grant usage on database {{ a.database }} to role {{ role }};
{% endfor %}
-- the loader writes the copy schemas; the transformer (dbt) reads them
{% for schema in a.copy_schemas %}
grant usage, create table, create stage, create file format on schema {{ a.database }}.{{ schema }} to role {{ a.roles.loader }};
grant select, insert, update, delete, truncate on all tables in schema {{ a.database }}.{{ schema }} to role {{ a.roles.loader }};
grant select, insert, update, delete, truncate on future tables in schema {{ a.database }}.{{ schema }} to role {{ a.roles.loader }};
grant usage on all stages in schema {{ a.database }}.{{ schema }} to role {{ a.roles.loader }};
grant usage on all file formats in schema {{ a.database }}.{{ schema }} to role {{ a.roles.loader }};
grant usage on schema {{ a.database }}.{{ schema }} to role {{ a.roles.transformer }};
grant select on all tables in schema {{ a.database }}.{{ schema }} to role {{ a.roles.transformer }};
grant select on future tables in schema {{ a.database }}.{{ schema }} to role {{ a.roles.transformer }};
{% endfor %}
-- the transformer builds every dbt layer; the governance schema's tag is applied by dbt's post-hooks
grant create schema on database {{ a.database }} to role {{ a.roles.transformer }};
{% for schema in a.dbt_schemas %}
grant usage, create table, create view, create dynamic table on schema {{ a.database }}.{{ schema }} to role {{ a.roles.transformer }};
{% endfor %}
grant usage on schema {{ a.database }}.{{ GOVERNANCE_SCHEMA }} to role {{ a.roles.transformer }};
grant apply on tag {{ a.database }}.{{ PII_TAG }} to role {{ a.roles.transformer }};
-- who else reads a dbt layer: its +grants in dbt_project.yml, on the objects dbt builds later too
{% for schema, grants in a.dbt_grants.items() %}
{% for privilege, roles in grants.items() %}
{% for role in roles %}
grant usage on schema {{ a.database }}.{{ schema }} to role {{ role }};
grant {{ privilege }} on all tables in schema {{ a.database }}.{{ schema }} to role {{ role }};
grant {{ privilege }} on future tables in schema {{ a.database }}.{{ schema }} to role {{ role }};
grant {{ privilege }} on all views in schema {{ a.database }}.{{ schema }} to role {{ role }};
grant {{ privilege }} on future views in schema {{ a.database }}.{{ schema }} to role {{ role }};
{% endfor %}
{% endfor %}
{% endfor %}
