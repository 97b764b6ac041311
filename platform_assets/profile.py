"""The one place that decides the profile (`PLATFORM_ENV=local|prod`) and its resources.

Nothing else in the code asks which profile it runs in: everything receives the resources
chosen here (the pattern of hooli-data-eng-pipelines' per-environment resource dicts).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from dagster import EnvVar

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

    def dbt_env(self) -> dict[str, str]:
        return {
            "PLATFORM_LAKE_ROOT": str(self.lake_root),
            "PLATFORM_WAREHOUSE_PATH": str(self.warehouse_path),
        }


def locations() -> Locations:
    return Locations(platform_home())


def raw_ingest_definitions(profile: str | None = None) -> tuple[list, list]:
    """Who writes the raw zone: the platform's own capture (local) or an AWS DMS task (prod).

    Either way the files are the same; in `prod` the raw assets are external specs that the
    raw-file sensor observes, and there is nothing to capture.
    """
    from platform_assets.contracts import CONTRACTS
    from platform_assets.raw.assets import dms_replication, raw_spec
    from platform_assets.raw.sensors import cdc_capture_sensor

    if (profile or current_profile()) == "local":
        return [dms_replication], [cdc_capture_sensor]
    return [raw_spec(c) for c in CONTRACTS.values()], []


def resources_for(profile: str | None = None) -> dict:
    """The resource dictionary of a profile."""
    from platform_assets.catalog import CatalogResource
    from platform_assets.metadata.resources import MetadataStoreResource
    from platform_assets.resources import LakeResource, OltpResource
    from platform_assets.sources.events.resources import EventStreamResource
    from platform_assets.warehouse.resources import dbt_resource, raw_loader_resource

    profile = profile or current_profile()
    loc = locations()
    if profile == "local":
        return {
            "lake": LakeResource(root=str(loc.lake_root)),
            "oltp": OltpResource(data_dir=str(loc.oltp_data_dir),
                                 dsn=os.environ.get("PLATFORM_OLTP_DSN")),
            "dbt": dbt_resource(target="local"),
            "warehouse_loader": raw_loader_resource("local"),
            "catalog": CatalogResource(kind="local", path=str(loc.catalog_path)),
            "metadata_store": MetadataStoreResource(kind="sqlite",
                                                    sqlite_path=str(loc.metadata_path)),
            "events": EventStreamResource(sink="files"),
        }
    aws = {"endpoint_url": os.environ.get("AWS_ENDPOINT_URL"),
           "region": os.environ.get("AWS_REGION", "us-east-1"),
           "access_key_id": EnvVar("AWS_ACCESS_KEY_ID"),
           "secret_access_key": EnvVar("AWS_SECRET_ACCESS_KEY")}
    return {
        "lake": LakeResource(root=EnvVar("PLATFORM_LAKE_URI"), **aws),
        "oltp": OltpResource(data_dir=str(loc.oltp_data_dir), dsn=EnvVar("PLATFORM_OLTP_DSN")),
        "dbt": dbt_resource(target="prod"),
        "warehouse_loader": raw_loader_resource("prod"),
        "catalog": CatalogResource(kind="glue", **aws),
        "metadata_store": MetadataStoreResource(
            kind="dynamodb", table_name=EnvVar("PLATFORM_METADATA_TABLE"), **aws),
        "events": EventStreamResource(sink="kinesis", stream_name=EnvVar("PLATFORM_EVENTS_STREAM"),
                                      **aws),
    }
