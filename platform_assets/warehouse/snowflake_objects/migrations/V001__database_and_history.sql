-- The warehouse's database, and the migrations' own history (what `apply` reads to know what
-- is pending). Runs first on an empty account.
create database if not exists {{ a.database }}
    comment = 'The lakehouse warehouse: copies of the lake (curated, events) and dbt''s layers';
create schema if not exists {{ a.database }}.{{ HISTORY_SCHEMA }}
    comment = 'Bookkeeping of the Snowflake migrations (lakehouse snowflake apply)';
create table if not exists {{ a.database }}.{{ HISTORY_TABLE }} (
    script varchar not null,
    kind varchar not null,
    checksum varchar not null,
    statements integer not null,
    executed boolean not null,
    applied_by varchar not null,
    applied_at timestamp_ntz not null
);
