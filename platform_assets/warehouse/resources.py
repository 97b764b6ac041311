"""The warehouse's resources: the dbt CLI (with the platform's paths in dbt's environment) and
the curated loader (DuckDB file locally, Snowflake in prod), both built per dbt target.

Why a subclass: `DbtCliResource.cli` hands dbt the process environment and has no `env=`, but
profiles.yml and the sources read PLATFORM_WAREHOUSE_PATH and PLATFORM_LAKE_ROOT from it. The
paths are resource config (visible, not secret); they are set only while a dbt invocation starts
(the subprocess and dagster-dbt's in-process adapter both read them then).
"""

from __future__ import annotations

import sys
import threading
from functools import cached_property
from importlib import metadata
from pathlib import Path

from dagster_dbt import DbtCliInvocation, DbtCliResource
from dagster_snowflake import SnowflakeResource
from packaging import version
from pydantic import Field

from platform_assets.settings import DBT_PROJECT_DIR, environment_overlay, locations
from platform_assets.warehouse.emulator import EMULATOR_ENV
from platform_assets.warehouse.glue.launcher import GlueWarehouseLoad
from platform_assets.warehouse.loader import CuratedLoader, DuckDBCuratedLoader, SnowflakeCuratedLoader
from platform_assets.warehouse.project import dbt_executable, lakehouse_project

# dbt invocations may start from several threads; one environment overlay at a time
_ENV_LOCK = threading.Lock()


class PlatformDbtCliResource(DbtCliResource):
    """`DbtCliResource` that adds `env` to the environment of every dbt invocation."""

    env: dict[str, str] = Field(
        default_factory=dict, description="Extra environment for dbt (paths and settings, never secrets)."
    )

    # The two private overrides below are kept on purpose (dagster-dbt 0.29.27): it offers no
    # setting, argument or environment variable to skip either step. Both are read in one
    # place, `DbtCliResource.cli`; re-check them when upgrading dagster-dbt.

    @cached_property
    def _cli_version(self) -> version.Version:
        # dagster-dbt runs `dbt --version` once per run to learn it (to tell dbt Core from
        # Fusion), and that command asks PyPI for the latest release: 5-16 s of every
        # warehouse run here (or a timeout offline). The dbt beside this interpreter is the
        # installed dbt-core package; ask the package instead.
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(metadata.version("dbt-core"))
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):
        # dagster-dbt builds an in-process dbt adapter before each invocation (~2 s, 5 s for
        # the first in a process) for its metadata helpers (`fetch_row_counts`, ...); only a
        # dbt Fusion version skips it. The local warehouse is described over a read-only
        # DuckDB connection instead (assets.py), so skip it there.
        if self.local_duckdb_path():
            return None
        return super()._initialize_dbt_core_adapter(args)

    def local_duckdb_path(self) -> str | None:
        """The DuckDB file of the `local` target, or None for any other target."""
        return self.env.get("PLATFORM_WAREHOUSE_PATH") if self.target == "local" else None

    def cli(self, args, **kwargs) -> DbtCliInvocation:  # type: ignore[override]
        warehouse = self.env.get("PLATFORM_WAREHOUSE_PATH")
        if warehouse:  # DuckDB creates the file, not its folder
            Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
        with _ENV_LOCK, environment_overlay(self.env):
            return super().cli(args, **kwargs)


# The project is run as three asset definitions (base, facts, marts: assets.py). A test whose
# parents span two of them must run in the later one, once all its parents are built: dbt's
# `buildable` indirect selection runs a test only when each parent is selected or upstream of
# the selection (its default, `eager`, would run it in the earlier step, before the fact exists).
INDIRECT_SELECTION = {"DBT_INDIRECT_SELECTION": "buildable"}


def dbt_resource(target: str) -> PlatformDbtCliResource:
    """The dbt resource of a profile: the lakehouse project, its profiles.yml, `target`."""
    return PlatformDbtCliResource(
        project_dir=lakehouse_project,
        profiles_dir=str(DBT_PROJECT_DIR),
        target=target,
        dbt_executable=dbt_executable(),
        env={**locations().dbt_env(), **INDIRECT_SELECTION},
    )


FILE_FORMAT = "curated.lake_parquet"  # the stages' Parquet format, created by provisioning


def snowflake_resource(with_database: bool = True, role: str | None = None) -> SnowflakeResource:
    """dagster-snowflake's resource for the loader, provisioning and checks that query the
    warehouse: the dbt `prod` target's SNOWFLAKE_* variables (secrets as EnvVar), UTC, and a
    login, network and socket timeout on every call (the connector's defaults retry failing
    requests without end). Host, port and protocol reach a local server such as fakesnow's.
    Provisioning connects `with_database=False`: the database may not exist yet; the Snowflake
    migrations connect as `role` (SNOWFLAKE_ADMIN_ROLE) when one is set."""
    from platform_assets.variables import env, number, value

    extra: dict = {"socket_timeout": int(number("SNOWFLAKE_SOCKET_TIMEOUT_S"))}
    if value("SNOWFLAKE_HOST"):
        extra |= {
            "host": value("SNOWFLAKE_HOST"),
            "port": int(number("SNOWFLAKE_PORT")),
            "protocol": value("SNOWFLAKE_PROTOCOL"),
        }
    return SnowflakeResource(
        account=env("SNOWFLAKE_ACCOUNT"),
        user=env("SNOWFLAKE_USER"),
        password=env("SNOWFLAKE_PASSWORD"),
        database=env("SNOWFLAKE_DATABASE") if with_database else None,
        warehouse=env("SNOWFLAKE_WAREHOUSE"),
        role=role
        or (env("SNOWFLAKE_LOADER_ROLE") if value("SNOWFLAKE_LOADER_ROLE") else env("SNOWFLAKE_ROLE")),
        timezone="UTC",
        login_timeout=int(number("SNOWFLAKE_LOGIN_TIMEOUT_S")),
        network_timeout=int(number("SNOWFLAKE_NETWORK_TIMEOUT_S")),
        additional_snowflake_connection_args=extra,
    )


def stage_lake_url() -> str:
    """The lake's root as the stages read it: PLATFORM_WAREHOUSE_STAGE_URL, else the lake."""
    from platform_assets.variables import value

    return (value("PLATFORM_WAREHOUSE_STAGE_URL") or value("PLATFORM_LAKE_URI") or "s3://lakehouse").rstrip(
        "/"
    )


def curated_loader_resource(target: str) -> CuratedLoader:
    """The loader of a dbt target, connected where that target's profile points.

    `local`: the DuckDB file of profiles.yml's `local` output. `prod`: Snowflake through
    `snowflake_resource()`; the stages read the lake (`stage_lake_url()`) through
    SNOWFLAKE_STORAGE_INTEGRATION.
    """
    from platform_assets.variables import value

    if target == "local":
        return DuckDBCuratedLoader(path=str(locations().warehouse_path))
    return SnowflakeCuratedLoader(
        snowflake=snowflake_resource(),
        lake_url=stage_lake_url(),
        storage_integration=value("SNOWFLAKE_STORAGE_INTEGRATION"),
        file_format=FILE_FORMAT,
        emulator=value(EMULATOR_ENV),
        glue=glue_load_resource(),
    )


def glue_load_resource() -> GlueWarehouseLoad | None:
    """The Glue job for contracts with warehouse_load="glue" (prod), if PLATFORM_GLUE_LOAD_ROLE
    names its role; without one, such a table's load fails with an error saying so."""
    from platform_assets.aws import aws_settings
    from platform_assets.variables import env, value

    if not value("PLATFORM_GLUE_LOAD_ROLE"):
        return None
    connections = [c.strip() for c in (value("PLATFORM_GLUE_LOAD_CONNECTIONS") or "").split(",") if c.strip()]
    return GlueWarehouseLoad(
        **aws_settings(),
        lake_root=env("PLATFORM_LAKE_URI"),
        role_arn=env("PLATFORM_GLUE_LOAD_ROLE"),
        snowflake_secret=value("PLATFORM_GLUE_LOAD_SECRET"),
        connections=connections,
    )
