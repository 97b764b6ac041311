"""The dbt CLI resource, with the platform's paths in dbt's environment.

Why a subclass: `DbtCliResource.cli` hands dbt the process environment and has no `env=`, but
profiles.yml and the sources read PLATFORM_WAREHOUSE_PATH and PLATFORM_LAKE_ROOT from it. The
paths are resource config (visible, not secret); they are set only while a dbt invocation starts
(the subprocess and dagster-dbt's in-process adapter both read them then).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from dagster_dbt import DbtCliInvocation, DbtCliResource
from pydantic import Field

from platform_assets.profile import DBT_PROJECT_DIR, locations
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
                                description="Extra environment for dbt (paths, never secrets).")

    def cli(self, args, **kwargs) -> DbtCliInvocation:  # type: ignore[override]
        warehouse = self.env.get("PLATFORM_WAREHOUSE_PATH")
        if warehouse:  # DuckDB creates the file, not its folder
            Path(warehouse).parent.mkdir(parents=True, exist_ok=True)
        with _environ(self.env):
            return super().cli(args, **kwargs)


def dbt_resource(target: str) -> PlatformDbtCliResource:
    """The dbt resource of a profile: the lakehouse project, its profiles.yml, `target`."""
    return PlatformDbtCliResource(
        project_dir=lakehouse_project,
        profiles_dir=str(DBT_PROJECT_DIR),
        target=target,
        dbt_executable=dbt_executable(),
        env=locations().dbt_env(),
    )
