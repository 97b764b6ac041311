"""The Snowflake side of `prod`: the database, its schemas, the stages' file format and the
stages over the lake's zones.

Each step looks first and creates only what is missing, so a second run creates nothing: the
database (SNOWFLAKE_DATABASE), the schemas the loader writes (`curated`, `events`) and the ones
dbt builds (each layer's `+schema` in dbt_project.yml, and dbt's default SNOWFLAKE_SCHEMA), the
Parquet file format, and one external stage per copied zone (`curated.lake_curated`,
`events.lake_processed`). A stage that reads another URL than the settings say
(PLATFORM_WAREHOUSE_STAGE_URL, default PLATFORM_LAKE_URI) is replaced and reported as updated.
The connection is the loader's (`warehouse.resources.snowflake_resource`), with its timeouts;
a failed call names Snowflake and the object.

Roles and grants are an administrator's (`warehouse.load_sql.snowflake_bootstrap_sql`), not run
here: provisioning runs as the platform's role and cannot grant what it does not own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import yaml

from platform_assets.contracts import CONTRACTS
from platform_assets.contracts.events import EVENTS
from platform_assets.provision.report import ProvisionError, ProvisionReport
from platform_assets.provision.settings import ProvisionSettings
from platform_assets.settings import DBT_PROJECT_DIR
from platform_assets.variables import value
from platform_assets.warehouse.load_sql import (
    COPY_SCHEMAS,
    SnowflakeStages,
    curated_copy,
    events_copy,
    file_format_sql,
)


def dbt_schemas() -> list[str]:
    """The schemas dbt builds in: each `+schema` of dbt_project.yml, and the target's default."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    found: list[str] = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("+schema"), str):
                found.append(node["+schema"])
            for child in node.values():
                walk(child)

    walk(project.get("models", {}))
    walk(project.get("snapshots", {}))
    return list(dict.fromkeys([*found, value("SNOWFLAKE_SCHEMA") or "ANALYTICS"]))


@contextmanager
def _calling(what: str) -> Iterator[None]:
    import snowflake.connector.errors as sf

    try:
        yield
    except sf.Error as exc:
        raise ProvisionError(f"Snowflake {what}: {exc}") from exc


def _names(cursor, sql: str) -> set[str]:
    cursor.execute(sql)
    column = [d[0].lower() for d in cursor.description].index("name")
    return {str(r[column]).lower() for r in cursor.fetchall()}


def provision_snowflake(settings: ProvisionSettings) -> ProvisionReport:
    """Create what is missing of the database, schemas, file format and stages; report all."""
    from platform_assets.warehouse.loader import _Session, sync_stage
    from platform_assets.warehouse.resources import FILE_FORMAT, snowflake_resource, stage_lake_url

    database = value("SNOWFLAKE_DATABASE")
    if not database:
        raise ProvisionError("SNOWFLAKE_DATABASE is not set; set it to the warehouse's database")
    report = ProvisionReport()
    resource = snowflake_resource(with_database=False).process_config_and_initialize()
    with _calling(f"account {resource.account}"), resource.get_connection() as con:
        cur = con.cursor()
        with _calling(f"database {database!r}"):
            exists = database.lower() in _names(cur, "show databases")
            cur.execute(f"create database if not exists {database}")
            cur.execute(f"use database {database}")
            (report.found if exists else report.created).append(f"Snowflake database {database!r}")
        existing = _names(cur, f"show schemas in database {database}")
        for schema in [*COPY_SCHEMAS, *dbt_schemas()]:
            with _calling(f"schema {database}.{schema}"):
                cur.execute(f"create schema if not exists {database}.{schema}")
            (report.found if schema.lower() in existing else report.created).append(
                f"Snowflake schema {database}.{schema}"
            )
        schema, name = FILE_FORMAT.split(".")
        with _calling(f"file format {FILE_FORMAT}"):
            formats = _names(cur, f"show file formats in schema {database}.{schema}")
            cur.execute(file_format_sql(FILE_FORMAT))
        (report.found if name.lower() in formats else report.created).append(
            f"Snowflake file format {FILE_FORMAT}"
        )
        stages = SnowflakeStages(stage_lake_url(), value("SNOWFLAKE_STORAGE_INTEGRATION"), FILE_FORMAT)
        session = _Session(cur)
        for stage in stages.for_tables([*(curated_copy(c) for c in CONTRACTS.values()), events_copy(EVENTS)]):
            with _calling(f"stage {stage.name}"):
                done = sync_stage(session, stage)
            what = f"Snowflake stage {stage.name} ({stage.url})"
            {"created": report.created, "replaced": report.updated, "found": report.found}[done].append(what)
    return report
