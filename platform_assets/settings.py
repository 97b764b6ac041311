"""Settings every layer reads: the profile's name and where local state lives.

The bottom of the package: it imports nothing of the platform but its errors, so any zone can
read it. Which resources and sensors a profile gets is wiring, decided on top in `profile.py`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from platform_assets.errors import PlatformError

PROFILES = ("local", "prod")
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def current_profile() -> str:
    profile = os.environ.get("PLATFORM_ENV", "local") or "local"
    if profile not in PROFILES:
        raise PlatformError(
            f"PLATFORM_ENV={profile!r} is not a profile; set it to one of {', '.join(PROFILES)}"
        )
    return profile


def platform_home() -> Path:
    """Where local state lives (.lake/, .platform/); the project root unless PLATFORM_HOME."""
    return Path(os.environ.get("PLATFORM_HOME") or PROJECT_ROOT).resolve()


@dataclass(frozen=True)
class Locations:
    """Local paths of the `local` profile, also handed to dbt through the environment."""

    home: Path

    @property
    def lake_root(self) -> Path:
        return self.home / ".lake"

    @property
    def oltp_data_dir(self) -> Path:
        return self.home / ".platform" / "pg"

    @property
    def catalog_path(self) -> Path:
        return self.home / ".platform" / "catalog.sqlite"

    @property
    def metadata_path(self) -> Path:
        return self.home / ".platform" / "metadata.sqlite"

    @property
    def warehouse_path(self) -> Path:
        return self.home / ".platform" / "warehouse.duckdb"

    @property
    def dashboards_dir(self) -> Path:
        return self.home / ".platform" / "dashboards"

    def dbt_env(self) -> dict[str, str]:
        return {
            "PLATFORM_LAKE_ROOT": str(self.lake_root),
            "PLATFORM_WAREHOUSE_PATH": str(self.warehouse_path),
        }


def locations() -> Locations:
    return Locations(platform_home())


@contextmanager
def environment_overlay(overlay: Mapping[str, str]) -> Iterator[None]:
    """The process environment with `overlay` set, restored afterwards (for tools that read
    only the environment: dbt's profiles, a prod trial's run). Not thread-safe by itself:
    callers that overlay from several threads hold their own lock."""
    saved = {k: os.environ.get(k) for k in overlay}
    os.environ.update(overlay)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
