"""Keeping the lake healthy: compaction, Z-ordering, VACUUM and raw-zone retention.

Everything takes its parameters from the table contracts (clustering columns, vacuum
retention), runs as scheduled Dagster jobs, and records files and bytes before and after.
"""

from platform_assets.maintenance.jobs import maintenance_jobs, maintenance_schedules
from platform_assets.maintenance.operations import (
    SAFE_MIN_RETENTION_HOURS,
    MaintenanceReport,
    compact,
    vacuum,
    zorder,
)
from platform_assets.maintenance.raw_retention import RetentionReport, purge_applied_raw_files
from platform_assets.maintenance.targets import Target, targets

__all__ = [
    "SAFE_MIN_RETENTION_HOURS",
    "MaintenanceReport",
    "RetentionReport",
    "Target",
    "compact",
    "maintenance_jobs",
    "maintenance_schedules",
    "purge_applied_raw_files",
    "targets",
    "vacuum",
    "zorder",
]
