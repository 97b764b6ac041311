"""What the events path adds to the code location: the landed files, the processed events
table with its uniqueness check, the file sensor, and a job for backfills and hand runs."""

from dagster import AssetSelection, Definitions, define_asset_job

from platform_assets.events_lake.assets import (
    PROCESSED_EVENTS_KEY,
    event_ids_unique,
    processed_events,
    raw_events,
)
from platform_assets.events_lake.sensors import event_files_sensor

# Backfills and hand runs of event partitions; the sensor targets the asset directly.
events_job = define_asset_job(
    "events_ingest",
    selection=AssetSelection.assets(PROCESSED_EVENTS_KEY),
    description="Landed event files into processed/events for a range of event dates.",
)

defs = Definitions(
    assets=[raw_events, processed_events],
    asset_checks=[event_ids_unique],
    sensors=[event_files_sensor],
    jobs=[events_job],
)
