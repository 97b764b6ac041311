"""The Dagster code location: every zone's assets, checks, sensors and the profile's resources."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job

from platform_assets.curated.assets import curated_assets
from platform_assets.processed.assets import processed_assets, processed_checks
from platform_assets.processed.sensors import raw_cdc_files_sensor
from platform_assets.profile import raw_ingest_definitions, resources_for
from platform_assets.warehouse.assets import dbt_warehouse_assets

# The main job: the whole graph, raw to marts. `make demo` runs it once without the UI.
lakehouse_pipeline = define_asset_job(
    "lakehouse_pipeline", selection=AssetSelection.all(),
    description="Full load / CDC capture, apply to processed Delta, curate, build the warehouse.")


def build_definitions() -> Definitions:
    """Definitions for the profile in the environment (tests call this after setting it)."""
    raw_assets, raw_sensors = raw_ingest_definitions()
    return Definitions(
        assets=[*raw_assets, *processed_assets, *curated_assets, dbt_warehouse_assets],
        asset_checks=processed_checks,
        sensors=[*raw_sensors, raw_cdc_files_sensor],
        jobs=[lakehouse_pipeline],
        resources=resources_for(),
    )


defs = build_definitions()
