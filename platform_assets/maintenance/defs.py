"""What table care adds to the code location: compaction, Z-order, VACUUM and raw retention
jobs with their schedules."""

from dagster import Definitions

from platform_assets.maintenance.jobs import maintenance_jobs, maintenance_schedules

defs = Definitions(jobs=maintenance_jobs, schedules=maintenance_schedules)
