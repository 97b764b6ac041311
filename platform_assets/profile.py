"""The composition root's one decision: which resources and raw-zone writer a profile gets.

`PLATFORM_ENV=local|prod` is read in `settings.current_profile`; this module turns it into the
resource dictionary and the raw ingest definitions. Nothing else in the code asks which
profile it runs in: everything receives the resources chosen here (the pattern of
hooli-data-eng-pipelines' per-environment resource dicts).
"""

from __future__ import annotations

import os

from dagster import Definitions, EnvVar

from platform_assets.settings import current_profile, locations


def raw_ingest_definitions(profile: str | None = None) -> Definitions:
    """Who writes the raw zone: the platform's own capture (local) or an AWS DMS task (prod).

    Either way the files are the same; in `prod` the raw assets are external specs that the
    raw-file sensor observes, and there is nothing to capture.
    """
    from platform_assets.contracts import CONTRACTS
    from platform_assets.orchestration.capture_sensor import cdc_capture_sensor
    from platform_assets.raw.assets import dms_replication, raw_spec

    if (profile or current_profile()) == "local":
        return Definitions(assets=[dms_replication], sensors=[cdc_capture_sensor])
    return Definitions(assets=[raw_spec(c) for c in CONTRACTS.values()])


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
