"""OPTIMIZE (compaction), Z-order and VACUUM of one Delta table, each measured before and after.

Why the commit properties: processed and curated tables keep state in custom commit keys
(`lakehouse.watermark`, `lakehouse.source_version`) that readers find by scanning back.
Maintenance commits carry a copy forward, so no number of OPTIMIZE/VACUUM commits can push the
state out of reach (log cleanup, scan limits). The copy names the version it was read at, and
readers prefer any state-writing commit newer than that (storage/delta_log.py `custom_values`): an
apply committing between the read and the maintenance commit is never undone.
OPTIMIZE commits are `dataChange=false`, so change-feed readers skip them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from deltalake import CommitProperties, DeltaTable
from deltalake.exceptions import TableNotFoundError

from platform_assets import killpoints
from platform_assets.lake import Lake
from platform_assets.maintenance.layout import Layout, layout
from platform_assets.maintenance.targets import Target
from platform_assets.storage.delta import writer_properties
from platform_assets.storage.delta_log import AUDIT_PREFIX, carried_state, commit_infos
from platform_assets.tables.files import relative, stored_files

# Delta's own default for deleted-file retention: readers of versions up to a week old and
# long-running writers keep working. Going lower needs `force`.
SAFE_MIN_RETENTION_HOURS = 168
ZORDER_MARK = f"{AUDIT_PREFIX}zorder_by"


@dataclass
class MaintenanceReport:
    table: str
    operation: str  # compact, zorder or vacuum
    before: Layout
    after: Layout
    details: dict = field(default_factory=dict)
    skipped: str = ""  # why nothing was written, if nothing was

    def metadata(self) -> dict:
        b, a = self.before, self.after
        return {
            "table": self.table,
            "operation": self.operation,
            "files_before": b.files,
            "files_after": a.files,
            "bytes_before": b.bytes,
            "bytes_after": a.bytes,
            "stored_files_before": b.stored_files,
            "stored_files_after": a.stored_files,
            "stored_bytes_before": b.stored_bytes,
            "stored_bytes_after": a.stored_bytes,
            "delta_version_before": b.version,
            "delta_version": a.version,
            "skipped": self.skipped,
            **self.details,
        }


def _open(lake: Lake, uri: str) -> DeltaTable | None:
    try:
        return DeltaTable(uri, storage_options=lake.storage_options)
    except TableNotFoundError:
        return None


def _carried(lake: Lake, uri: str, dt: DeltaTable, extra: dict | None = None) -> CommitProperties:
    return CommitProperties(custom_metadata={**carried_state(lake, uri, dt.version()), **(extra or {})})


def compact(lake: Lake, target: Target, target_size: int | None = None) -> MaintenanceReport | None:
    """Bin-pack small files into files of `target_size` bytes (the table's default: 100 MB)."""
    uri = target.uri(lake)
    if (dt := _open(lake, uri)) is None:
        return None
    before = layout(lake, uri, dt)
    m = dt.optimize.compact(
        target_size=target_size,
        writer_properties=writer_properties(dt),
        commit_properties=_carried(lake, uri, dt),
    )
    killpoints.reached("maintenance.after_compact")
    after = layout(lake, uri, dt)
    return MaintenanceReport(
        target.label,
        "compact",
        before,
        after,
        {
            "files_added": m["numFilesAdded"],
            "files_removed": m["numFilesRemoved"],
            "partitions_optimized": m["partitionsOptimized"],
        },
        skipped="" if m["numFilesRemoved"] else "nothing to compact",
    )


def _zordered_since_last_change(lake: Lake, uri: str, dt: DeltaTable, by: str) -> bool:
    """True if the newest commit that is not a VACUUM is our Z-order by the same columns."""
    for info in commit_infos(lake, uri, dt.version(), limit=50):
        if str(info.get("operation", "")).startswith("VACUUM"):
            continue
        return info.get("operation") == "OPTIMIZE" and info.get(ZORDER_MARK) == by
    return False


def zorder(
    lake: Lake,
    target: Target,
    columns: tuple[str, ...] | None = None,
    target_size: int | None = None,
    force: bool = False,
) -> MaintenanceReport | None:
    """Rewrite the table clustered on its contract's clustering columns, so that a query
    filtered on them skips files by their min/max statistics. Z-order rewrites every file, so
    it is skipped when nothing changed since the last one (unless `force`)."""
    columns = tuple(columns or target.clustering)
    uri = target.uri(lake)
    if not columns or (dt := _open(lake, uri)) is None:
        return None
    by = ",".join(columns)
    before = layout(lake, uri, dt)
    if not force and _zordered_since_last_change(lake, uri, dt, by):
        return MaintenanceReport(
            target.label,
            "zorder",
            before,
            before,
            {"zorder_by": by},
            skipped="unchanged since the last Z-order",
        )
    m = dt.optimize.z_order(
        list(columns),
        target_size=target_size,
        writer_properties=writer_properties(dt),
        commit_properties=_carried(lake, uri, dt, {ZORDER_MARK: by}),
    )
    after = layout(lake, uri, dt)
    return MaintenanceReport(
        target.label,
        "zorder",
        before,
        after,
        {"zorder_by": by, "files_added": m["numFilesAdded"], "files_removed": m["numFilesRemoved"]},
        skipped="" if m["numFilesRemoved"] else "empty table",
    )


def vacuum_retention(target: Target, retention_hours: int | None = None, force: bool = False) -> int:
    """The contract's retention (or an override), never below the safe minimum unless forced."""
    hours = target.retention_hours if retention_hours is None else retention_hours
    return hours if force else max(hours, SAFE_MIN_RETENTION_HOURS)


def vacuum(
    lake: Lake, target: Target, retention_hours: int | None = None, force: bool = False, dry_run: bool = False
) -> MaintenanceReport | None:
    """Delete files no version within the retention needs. Time travel to versions older than
    the retention stops working for the files removed, except for versions a registered
    model's dataset pins (ml/pins.py): the retention is raised to keep those readable."""
    from platform_assets.ml.pins import vacuum_floor_hours  # the pin store; no MLflow import

    uri = target.uri(lake)
    pinned_floor = vacuum_floor_hours(lake, target.label, uri)
    hours = max(vacuum_retention(target, retention_hours, force), pinned_floor)
    if (dt := _open(lake, uri)) is None:
        return None
    before = layout(lake, uri, dt)
    stored = stored_files(lake, uri)
    # delta-rs lists tombstones again after they were deleted: count only files still stored
    candidates = {
        relative(lake, uri, p)
        for p in dt.vacuum(retention_hours=hours, dry_run=True, enforce_retention_duration=not force)
    }
    doomed = sorted(candidates & set(stored))
    details = {
        "retention_hours": hours,
        "retention_hours_contract": target.retention_hours,
        "retention_hours_pinned": pinned_floor,
        "forced": force,
        "files_deleted": len(doomed),
        "bytes_deleted": sum(stored[p] for p in doomed),
    }
    if dry_run or not doomed:
        return MaintenanceReport(
            target.label,
            "vacuum",
            before,
            before,
            details,
            skipped="dry run" if dry_run else "nothing to delete",
        )
    dt.vacuum(
        retention_hours=hours,
        dry_run=False,
        enforce_retention_duration=not force,
        commit_properties=_carried(lake, uri, dt),
    )
    return MaintenanceReport(target.label, "vacuum", before, layout(lake, uri, dt), details)
