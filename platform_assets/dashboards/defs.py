"""What the dashboards add to the code location: the page assets, the index, and the hourly job
that rebuilds them (their "data as of" line follows the loads even when no mart changed)."""

from dagster import AssetSelection, Definitions, ScheduleDefinition, define_asset_job

from platform_assets.dashboards.assets import GROUP, dashboard_assets, dashboards_index

DASHBOARDS_CRON = "20 * * * *"

dashboards_job = define_asset_job(
    "dashboards_refresh",
    selection=AssetSelection.groups(GROUP),
    description="Rebuild every dashboard page and the index from the warehouse.",
)
dashboards_schedule = ScheduleDefinition(
    name="dashboards_hourly", job=dashboards_job, cron_schedule=DASHBOARDS_CRON, execution_timezone="UTC"
)

defs = Definitions(
    assets=[*dashboard_assets, dashboards_index], jobs=[dashboards_job], schedules=[dashboards_schedule]
)
