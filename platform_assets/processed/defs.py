"""What the processed zone adds to the code location: one asset per contract, the
reconciliation with Postgres as a check, and its quarter-hourly job."""

from dagster import Definitions

from platform_assets.processed.assets import (
    processed_assets,
    processed_checks,
    reconcile_job,
    reconcile_schedule,
)

defs = Definitions(
    assets=processed_assets,
    asset_checks=processed_checks,
    jobs=[reconcile_job],
    schedules=[reconcile_schedule],
)
