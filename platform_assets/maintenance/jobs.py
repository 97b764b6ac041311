"""Maintenance as scheduled Dagster jobs: one op per table, so one failing table stops nothing else.

Why ops and observations, not assets: OPTIMIZE and VACUUM do not change a table's data, so they
must not look like new materializations (which would re-run everything downstream). Each op
records an AssetObservation on the table's asset with files and bytes before and after and
the Delta version, and the same numbers as its output metadata. Each op takes the table's
pool (`delta_<zone>_<table>`); the assets writing a table should use the same pool so a
MERGE and an OPTIMIZE of one table never race.
"""

from dagster import (
    AssetKey,
    AssetObservation,
    Config,
    DefaultScheduleStatus,
    OpExecutionContext,
    Output,
    RetryPolicy,
    ScheduleDefinition,
    job,
    op,
)

from platform_assets.contracts import CONTRACTS
from platform_assets.maintenance.operations import MaintenanceReport, compact, vacuum, zorder
from platform_assets.maintenance.raw_retention import DEFAULT_KEEP_DAYS, purge_applied_raw_files
from platform_assets.maintenance.targets import Target, targets
from platform_assets.resources import LakeResource

# a commit conflict with a concurrent writer is retried a little later
RETRY = RetryPolicy(max_retries=2, delay=30)


class CompactConfig(Config):
    target_size_mb: int | None = None  # None: the table's delta.targetFileSize (100 MB)


class ZorderConfig(Config):
    force: bool = False  # rewrite even if nothing changed since the last Z-order


class VacuumConfig(Config):
    retention_hours: int | None = None  # None: the contract's vacuum_retention_hours
    force: bool = False  # allow a retention below the safe minimum (7 days)
    dry_run: bool = False


class RawRetentionConfig(Config):
    keep_days: float = DEFAULT_KEEP_DAYS
    dry_run: bool = False


def _report(context: OpExecutionContext, target: Target, report: MaintenanceReport | None):
    if report is None:
        return Output(None, metadata={"table": target.label, "skipped": "no table yet"})
    md = report.metadata()
    if target.asset_key:
        context.log_event(AssetObservation(asset_key=AssetKey(target.asset_key), metadata=md))
    context.log.info(
        f"{report.operation} {target.label}: {report.before.files} -> "
        f"{report.after.files} files, v{report.before.version} -> "
        f"v{report.after.version} {report.skipped}"
    )
    return Output(None, metadata=md)


def _compact_op(t: Target):
    @op(name=f"compact_{t.op_name}", pool=t.pool, retry_policy=RETRY, tags={"table": t.label})
    def _op(context: OpExecutionContext, config: CompactConfig, lake: LakeResource):
        size = config.target_size_mb * 1024 * 1024 if config.target_size_mb else None
        return _report(context, t, compact(lake.lake(), t, target_size=size))

    return _op


def _zorder_op(t: Target):
    @op(name=f"zorder_{t.op_name}", pool=t.pool, retry_policy=RETRY, tags={"table": t.label})
    def _op(context: OpExecutionContext, config: ZorderConfig, lake: LakeResource):
        return _report(context, t, zorder(lake.lake(), t, force=config.force))

    return _op


def _vacuum_op(t: Target):
    @op(name=f"vacuum_{t.op_name}", pool=t.pool, retry_policy=RETRY, tags={"table": t.label})
    def _op(context: OpExecutionContext, config: VacuumConfig, lake: LakeResource):
        return _report(
            context,
            t,
            vacuum(lake.lake(), t, config.retention_hours, force=config.force, dry_run=config.dry_run),
        )

    return _op


@op(description="Delete raw DMS files applied more than keep_days ago.")
def purge_applied_raw_files_op(context: OpExecutionContext, config: RawRetentionConfig, lake: LakeResource):
    the_lake = lake.lake()
    total: dict[str, int] = {"files_deleted": 0, "bytes_deleted": 0}
    for c in CONTRACTS.values():
        r = purge_applied_raw_files(the_lake, c, config.keep_days, dry_run=config.dry_run)
        context.log_event(AssetObservation(asset_key=AssetKey(["raw", c.name]), metadata=r.metadata()))
        total["files_deleted"] += len(r.deleted)
        total["bytes_deleted"] += r.bytes_deleted
    return Output(None, metadata={**total, "keep_days": config.keep_days, "dry_run": config.dry_run})


_ALL = targets()
_CLUSTERED = [t for t in _ALL if t.clustering]
_COMPACT_OPS = [_compact_op(t) for t in _ALL]
_ZORDER_OPS = [_zorder_op(t) for t in _CLUSTERED]
_VACUUM_OPS = [_vacuum_op(t) for t in _ALL]


@job(
    description="OPTIMIZE: compact small files of every Delta table.", tags={"lakehouse/kind": "maintenance"}
)
def delta_compaction_job():
    for o in _COMPACT_OPS:
        o()


@job(
    description="Z-order every table on its contract's clustering columns.",
    tags={"lakehouse/kind": "maintenance"},
)
def delta_zorder_job():
    for o in _ZORDER_OPS:
        o()


@job(
    description="VACUUM every Delta table with its contract's retention.",
    tags={"lakehouse/kind": "maintenance"},
)
def delta_vacuum_job():
    for o in _VACUUM_OPS:
        o()


@job(
    description="Raw-zone retention: delete applied DMS files older than keep_days.",
    tags={"lakehouse/kind": "maintenance"},
)
def raw_retention_job():
    purge_applied_raw_files_op()


def _daily(job_def, cron: str) -> ScheduleDefinition:
    return ScheduleDefinition(
        job=job_def,
        cron_schedule=cron,
        execution_timezone="UTC",
        default_status=DefaultScheduleStatus.RUNNING,
    )


maintenance_jobs = [delta_compaction_job, delta_zorder_job, delta_vacuum_job, raw_retention_job]
maintenance_schedules = [
    _daily(delta_compaction_job, "0 2 * * *"),  # nightly
    _daily(delta_zorder_job, "0 3 * * 0"),  # weekly, Sunday: Z-order rewrites whole tables
    _daily(delta_vacuum_job, "0 5 * * 0"),  # weekly, after the Z-order it cleans up after
    _daily(raw_retention_job, "30 4 * * *"),
]
