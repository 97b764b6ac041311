"""The Dagster code location: every zone's assets, checks, sensors and the profile's resources."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
    Definitions,
    define_asset_job,
    in_process_executor,
)

from platform_assets.catalog.assets import catalog_assets, catalog_sensors
from platform_assets.curated.assets import curated_assets
from platform_assets.events_lake.defs import events_assets, events_checks, events_jobs, events_sensors
from platform_assets.maintenance import maintenance_jobs, maintenance_schedules
from platform_assets.metadata.defs import metadata_assets, metadata_checks, metadata_sensors
from platform_assets.processed.assets import (
    processed_assets,
    processed_checks,
    reconcile_job,
    reconcile_schedule,
)
from platform_assets.processed.sensors import raw_cdc_files_sensor
from platform_assets.profile import raw_ingest_definitions, resources_for
from platform_assets.tables.jobs import restore_jobs
from platform_assets.warehouse.defs import warehouse_assets

# The main job: the whole graph, raw to marts. `make demo` runs it once without the UI.
lakehouse_pipeline = define_asset_job(
    "lakehouse_pipeline", selection=AssetSelection.all(),
    description="Full load / CDC capture, apply to processed Delta, curate, build the warehouse.")


# Curated tables and dbt models carry AutomationCondition.eager(); this sensor evaluates them
# every few seconds (the default sensor's 30 s would dominate CDC freshness).
automation = AutomationConditionSensorDefinition(
    "lakehouse_automation", target=AssetSelection.all(), minimum_interval_seconds=5,
    default_status=DefaultSensorStatus.RUNNING)


def build_definitions() -> Definitions:
    """Definitions for the profile in the environment (tests call this after setting it)."""
    raw_assets, raw_sensors = raw_ingest_definitions()
    return Definitions(
        assets=[*raw_assets, *processed_assets, *curated_assets, *warehouse_assets,
                *catalog_assets, *events_assets, *metadata_assets],
        asset_checks=[*processed_checks, *events_checks, *metadata_checks],
        sensors=[*raw_sensors, raw_cdc_files_sensor, automation, *catalog_sensors,
                 *events_sensors, *metadata_sensors],
        jobs=[lakehouse_pipeline, reconcile_job, *maintenance_jobs, *restore_jobs, *events_jobs],
        schedules=[*maintenance_schedules, reconcile_schedule],
        resources=resources_for(),
        # steps here are short and the machine small: one process per run, no step spawns
        executor=in_process_executor,
    )


defs = build_definitions()
