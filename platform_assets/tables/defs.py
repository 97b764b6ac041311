"""What time travel adds to the code location: the guarded restore job."""

from dagster import Definitions

from platform_assets.tables.jobs import restore_jobs

defs = Definitions(jobs=restore_jobs)
