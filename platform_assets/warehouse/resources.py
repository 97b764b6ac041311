"""The warehouse's resources: the dbt CLI (with the platform's paths in dbt's environment) and
the curated loader (DuckDB file locally, Snowflake in prod), both built per dbt target.

Why a subclass: `DbtCliResource.cli` hands dbt the process environment and has no `env=`, but
profiles.yml and the sources read PLATFORM_WAREHOUSE_PATH and PLATFORM_LAKE_ROOT from it. The
paths are resource config (visible, not secret); they are set only while a dbt invocation starts
(the subprocess and dagster-dbt's in-process adapter both read them then).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from importlib import metadata
from pathlib import Path

from dagster import EnvVar
from dagster_dbt import DbtCliInvocation, DbtCliResource
from packaging import version
from pydantic import Field

from platform_assets.settings import DBT_PROJECT_DIR, locations
from platform_assets.warehouse.emulator import EMULATOR_ENV
from platform_assets.warehouse.loader import CuratedLoader, DuckDBCuratedLoader, SnowflakeCuratedLoader
from platform_assets.warehouse.project import dbt_executable, lakehouse_project

_ENV_LOCK = threading.Lock()


@contextmanager
def _environ(extra: Mapping[str, str]) -> Iterator[None]:
    with _ENV_LOCK:
        saved = {k: os.environ.get(k) for k in extra}
        os.environ.update(extra)
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


class PlatformDbtCliResource(DbtCliResource):
    """`DbtCliResource` that adds `env` to the environment of every dbt invocation."""

    env: dict[str, str] = Field(default_factory=dict,
                                description="Extra environment for dbt (paths and settings, "
                                            "never secrets).")

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
        with _environ(self.env):
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


def curated_loader_resource(target: str) -> CuratedLoader:
    """The loader of a dbt target, connected where that target's profile points.

    `local`: the DuckDB file of profiles.yml's `local` output. `prod`: Snowflake with the same
    SNOWFLAKE_* variables as the `prod` output (secrets as EnvVar, read at run time); the stage
    reads PLATFORM_LAKE_URI/curated/ through SNOWFLAKE_STORAGE_INTEGRATION.
    """
    if target == "local":
        return DuckDBCuratedLoader(path=str(locations().warehouse_path))
    env = os.environ
    port = env.get("SNOWFLAKE_PORT")
    return SnowflakeCuratedLoader(
        account=EnvVar("SNOWFLAKE_ACCOUNT"), user=EnvVar("SNOWFLAKE_USER"),
        password=EnvVar("SNOWFLAKE_PASSWORD"), role=env.get("SNOWFLAKE_LOADER_ROLE")
        or env.get("SNOWFLAKE_ROLE"), warehouse=env.get("SNOWFLAKE_WAREHOUSE"),
        database=EnvVar("SNOWFLAKE_DATABASE"), host=env.get("SNOWFLAKE_HOST") or None,
        port=int(port) if port else None, protocol=env.get("SNOWFLAKE_PROTOCOL") or None,
        stage_url=env.get("PLATFORM_WAREHOUSE_STAGE_URL")
        or env.get("PLATFORM_LAKE_URI", "s3://lakehouse").rstrip("/") + "/curated/",
        storage_integration=env.get("SNOWFLAKE_STORAGE_INTEGRATION") or None,
        emulator=env.get(EMULATOR_ENV) or None)
