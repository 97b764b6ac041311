"""The guarded restore as a Dagster job, so a rollback is a recorded run with its reason.

Launch it from the UI's launchpad (config: table, to, reason); tag the run with
`lakehouse/requested_by` to name the person (otherwise the OS user of the run worker).
The restored table gets a materialization carrying the new Delta version (and its curated
table one for its rebuild), so downstream automation and lineage see the change.
"""

from dagster import Config, OpExecutionContext, job, op

from platform_assets.resources import LakeResource
from platform_assets.tables.audit import who_am_i
from platform_assets.tables.refs import TableRef
from platform_assets.tables.restore import restore_table
from platform_assets.tables.restore_events import restore_materializations


class RestoreConfig(Config):
    table: str  # processed.orders or curated.orders
    to: str  # a version number or an ISO-8601 time
    reason: str  # why: recorded in _audit/restores and in the Delta commit


@op(
    description="Restore a Delta table to an earlier version, with an audit record.",
    tags={"lakehouse/kind": "restore"},
)
def restore_delta_table(context: OpExecutionContext, config: RestoreConfig, lake: LakeResource):
    ref = TableRef.parse(config.table)
    the_lake = lake.lake()
    record = restore_table(
        the_lake, ref, config.to, who=who_am_i(context.run.tags), why=config.reason, run_id=context.run_id
    )
    context.log.info(
        f"{ref}: restored version {record.to_version} as version "
        f"{record.new_version} for {record.who}: {record.why}"
    )
    for event in restore_materializations(the_lake, record):
        context.log_event(event)


@job(
    description="Guarded restore of one Delta table (config: table, to, reason).",
    tags={"lakehouse/kind": "restore"},
)
def restore_delta_table_job():
    restore_delta_table()


restore_jobs = [restore_delta_table_job]
