"""A guarded restore: roll a Delta table back to an earlier version, and record who and why.

Guards: a reason is required; the target must be an earlier, still readable version (files
removed by VACUUM cannot come back). The RESTORE commit carries the target version's
`lakehouse.*` state keys, so followers resume from the restored position:

- processed: the applied-file log is rewound to the target (files applied after it become
  pending again and are re-applied by the next run, so the table stays a function of the raw
  zone), and its curated table is rebuilt from the restored state, because the change feed of
  a RESTORE lists every row as deleted and re-inserted in one version, which an incremental
  follower cannot order.
- curated: the next refresh merges the processed changes made since the restored state.

The log is rewound before the restore commit: a crash in between leaves files pending whose
changes are all at or below the watermark, which the apply recomputes to the same rows.
"""

from __future__ import annotations

from datetime import UTC, datetime

from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.tables.asof import AsOf, open_as_of
from platform_assets.tables.audit import RestoreRecord, append
from platform_assets.tables.files import missing_files
from platform_assets.tables.log import AUDIT_PREFIX, custom_values
from platform_assets.tables.refs import TableRef

__all__ = ["RestoreRecord", "restore_table"]


def _rewind_applied_log(lake: Lake, table: str, to_version: int) -> int:
    try:
        log = DeltaTable(lake.applied_log_uri(table), storage_options=lake.storage_options)
    except TableNotFoundError:
        return 0
    metrics = log.delete(f"delta_version > {to_version}")
    return int(metrics.get("num_deleted_rows", 0))


def _rebuild_curated(lake: Lake, ref: TableRef, processed_version: int) -> None:
    """Rewrite the curated table from the processed table's restored state (a Delta overwrite,
    so the curated history stays readable), marked as synced to that processed version."""
    from platform_assets.curated.conform import conform
    from platform_assets.curated.refresh import SOURCE_VERSION_KEY

    c = ref.contract
    curated = TableRef("curated", ref.name)
    try:
        DeltaTable(curated.uri(lake), storage_options=lake.storage_options)
    except TableNotFoundError:
        return  # never built: its first refresh builds it from the restored state
    src = open_as_of(lake, ref, processed_version)
    rows = conform(src.to_pyarrow_table(columns=[*c.column_names, "_commit_ts"]), c)
    write_deltalake(curated.uri(lake), rows, mode="overwrite", schema_mode="overwrite",
                    storage_options=lake.storage_options,
                    commit_properties=CommitProperties(custom_metadata={
                        SOURCE_VERSION_KEY: str(processed_version)}))


def restore_table(lake: Lake, ref: TableRef, to: AsOf | str, *, who: str, why: str,
                  run_id: str = "") -> RestoreRecord:
    """Restore `ref` to version/time `to`. Raises PlatformError when a guard refuses."""
    who, why = (who or "").strip(), (why or "").strip()
    if len(why) < 5:
        raise PlatformError(f"restoring {ref} needs a reason (at least a few words); it is "
                            "recorded with who asked in _audit/restores")
    if not who:
        raise PlatformError(f"restoring {ref} needs to know who asks; set $USER or the "
                            "lakehouse/requested_by run tag")
    uri = ref.uri(lake)
    current = open_as_of(lake, ref).version()
    old = open_as_of(lake, ref, to)
    target = old.version()
    if target >= current:
        raise PlatformError(f"{ref} is at version {current}; restore to an earlier version "
                            f"(asked for {target})")
    if missing := missing_files(lake, uri, old):
        raise PlatformError(f"{ref} cannot be restored to version {target}: {len(missing)} of "
                            "its files were removed by VACUUM and cannot come back")
    carried = custom_values(lake, uri, target)
    audit = {f"{AUDIT_PREFIX}restored_by": who, f"{AUDIT_PREFIX}reason": why,
             f"{AUDIT_PREFIX}run_id": run_id}
    rewound = _rewind_applied_log(lake, ref.name, target) if ref.zone == "processed" else 0
    dt = DeltaTable(uri, storage_options=lake.storage_options)
    try:
        metrics = dt.restore(target, commit_properties=CommitProperties(
            custom_metadata={**carried, **audit}))
    except DeltaError as exc:
        raise PlatformError(f"{ref} cannot be restored to version {target}: {exc} (files "
                            "removed by VACUUM cannot come back)") from None
    new_version = DeltaTable(uri, storage_options=lake.storage_options).version()
    if ref.zone == "processed":
        _rebuild_curated(lake, ref, new_version)
    record = RestoreRecord(
        restored_at=datetime.now(UTC), table=str(ref), from_version=current, to_version=target,
        new_version=new_version, who=who, why=why, run_id=run_id,
        files_removed=int(metrics.get("numRemovedFile", 0)),
        files_restored=int(metrics.get("numRestoredFile", 0)), applied_files_rewound=rewound)
    append(lake, record)
    return record
