"""What the events path adds to the code location (wired in definitions.py)."""

from dagster import AssetSelection, define_asset_job

from platform_assets.events_lake.assets import (
    PROCESSED_EVENTS_KEY,
    event_ids_unique,
    processed_events,
    raw_events,
)
from platform_assets.events_lake.sensors import event_files_sensor

events_assets = [raw_events, processed_events]
events_checks = [event_ids_unique]
events_sensors = [event_files_sensor]

# Backfills and hand runs of event partitions; the sensor targets the asset directly.
events_job = define_asset_job(
    "events_ingest", selection=AssetSelection.assets(PROCESSED_EVENTS_KEY),
    description="Landed event files into processed/events for a range of event dates.")
events_jobs = [events_job]
