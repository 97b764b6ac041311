"""A guarded restore: roll a Delta table back to an earlier version, and record who and why.

Guards: a reason is required; the target must be an earlier, still readable version (files
removed by VACUUM cannot come back). The RESTORE commit writes the target version's
`lakehouse.*` state keys as its own (not as a carried copy: a restore resets the state on
purpose), so followers resume from the restored position.

What a restore means for raw files (processed tables): the restored state stays. Raw files
whose changes the restore took out are logged `rolled_back` in the applied-file log: the apply
skips them, raw retention keeps them, and `lakehouse table reapply` (tables/reapply.py) puts
them back in the queue on purpose. Raw files arriving after the restore apply on top of the
restored state. Files the target state holds that an earlier restore had rolled back are
logged `applied` again. The curated table is rebuilt from the restored state, because the
change feed of a RESTORE lists every row as deleted and re-inserted in one version, which an
incremental follower cannot order. A curated restore: the next refresh merges the processed
changes made since the restored state.

Every restore is recorded in `_audit/restores` and as a materialization of the table's asset
(tables/restore_events.py), whether it ran as the Dagster job or from the CLI.

The log is marked before the restore commit: a crash in between leaves files marked rolled
back whose changes are still in the table; the same restore run again finds them marked, commits
and counts them; `reapply` instead recomputes them to the same rows.

A crash after the commit (before the curated rebuild or the audit record): the same request
again (same table, target, who and why) finds the table's newest commit to be that RESTORE,
read from the commit's own info, and finishes it (the rebuild, the one audit record) instead of
restoring a second time. Asked again once it is finished, nothing changed since, it returns the
recorded restore and writes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

from platform_assets import killpoints
from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.processed import applied_log
from platform_assets.storage.delta import committed_value
from platform_assets.storage.delta_log import AUDIT_PREFIX, commit_info, custom_values
from platform_assets.tables.asof import AsOf, open_as_of
from platform_assets.tables.audit import RestoreRecord, append, restores
from platform_assets.tables.files import missing_files
from platform_assets.tables.refs import TableRef

__all__ = ["RestoreRecord", "restore_table"]


def _roll_back_applied_log(
    lake: Lake, table: str, to_version: int, restore_version: int, note: str
) -> dict[str, str]:
    """Log the files the restored state does not hold as rolled back (and those it holds
    again as applied), as of the restore's version. Returns what it logged."""
    now = applied_log.file_states(lake, table)
    then = applied_log.file_states(lake, table, as_of_version=to_version)
    held_then = {f for f, s in then.items() if s.outcome == applied_log.APPLIED}
    changes = {
        f: applied_log.ROLLED_BACK
        for f, s in now.items()
        if s.outcome == applied_log.APPLIED and f not in held_then
    }
    changes |= {
        f: applied_log.APPLIED
        for f, s in now.items()
        if s.outcome == applied_log.ROLLED_BACK and f in held_then
    }
    applied_log.record(lake, table, changes, restore_version, note=note)
    return changes


def _rebuild_curated(lake: Lake, ref: TableRef, processed_version: int) -> None:
    """Rewrite the curated table from the processed table's restored state (a Delta overwrite,
    so the curated history stays readable), marked as synced to that processed version."""
    from platform_assets.curated.conform import conform
    from platform_assets.curated.refresh import SOURCE_VERSION_KEY, pii_state

    c = ref.contract
    curated = TableRef("curated", ref.name)
    try:
        cur = DeltaTable(curated.uri(lake), storage_options=lake.storage_options)
    except TableNotFoundError:
        return  # never built: its first refresh builds it from the restored state
    if committed_value(lake, cur, SOURCE_VERSION_KEY) == str(processed_version):
        return  # rebuilt already, by a restore that crashed before its audit record
    src = open_as_of(lake, ref, processed_version)
    key, key_state = pii_state(lake, c)
    rows = conform(src.to_pyarrow_table(columns=[*c.column_names, "_commit_ts"]), c, key)
    write_deltalake(
        curated.uri(lake),
        rows,
        mode="overwrite",
        schema_mode="overwrite",
        storage_options=lake.storage_options,
        commit_properties=CommitProperties(
            custom_metadata={SOURCE_VERSION_KEY: str(processed_version), **key_state}
        ),
    )


def _same_restore_committed(
    lake: Lake, uri: str, current: int, target: int, who: str, why: str
) -> dict | None:
    """The commit info of `current` if it is a RESTORE to `target` asked by `who` for `why`: this
    very request, committed by an earlier run that did not finish (or did: nothing is newer)."""
    info = commit_info(lake, uri, current) or {}
    asked = (
        info.get("operation") == "RESTORE"
        and str(info.get("operationParameters", {}).get("version")) == str(target)
        and info.get(f"{AUDIT_PREFIX}restored_by") == who
        and info.get(f"{AUDIT_PREFIX}reason") == why
    )
    return info if asked else None


def _recorded(lake: Lake, ref: TableRef, new_version: int) -> RestoreRecord | None:
    for row in restores(lake):
        if row["table"] == str(ref) and row["new_version"] == new_version:
            return RestoreRecord(**row)
    return None


def _rewound(lake: Lake, ref: TableRef, from_version: int, new_version: int) -> int:
    """Raw files this restore holds as rolled back: marked after the version it read, up to its
    commit (marked by this run or by an earlier run of the same restore that crashed)."""
    if ref.zone != "processed":
        return 0
    return sum(
        s.outcome == applied_log.ROLLED_BACK and from_version < s.delta_version <= new_version
        for s in applied_log.file_states(lake, ref.name).values()
    )


def _finish(lake: Lake, ref: TableRef, target: int, restore_commit: dict) -> RestoreRecord:
    """After the RESTORE commit: rebuild curated, write the audit record. Everything recorded
    comes from the commit's own info, so a rerun after a crash records the same."""
    new_version = restore_commit["version"]
    if ref.zone == "processed":
        _rebuild_curated(lake, ref, new_version)
    from_version = int(restore_commit.get("readVersion", new_version - 1))
    metrics = restore_commit.get("operationMetrics", {})
    record = RestoreRecord(
        restored_at=datetime.fromtimestamp(restore_commit["timestamp"] / 1000, UTC),
        table=str(ref),
        from_version=from_version,
        to_version=target,
        new_version=new_version,
        who=restore_commit[f"{AUDIT_PREFIX}restored_by"],
        why=restore_commit[f"{AUDIT_PREFIX}reason"],
        run_id=restore_commit.get(f"{AUDIT_PREFIX}run_id", ""),
        files_removed=int(metrics.get("numRemovedFile", 0)),
        files_restored=int(metrics.get("numRestoredFile", 0)),
        applied_files_rewound=_rewound(lake, ref, from_version, new_version),
    )
    killpoints.reached("restore.before_record")
    append(lake, record)
    return record


def restore_table(
    lake: Lake, ref: TableRef, to: AsOf | str, *, who: str, why: str, run_id: str = ""
) -> RestoreRecord:
    """Restore `ref` to version/time `to`. Raises PlatformError when a guard refuses. The same
    request again after a crash finishes that restore (see the module's docstring)."""
    who, why = (who or "").strip(), (why or "").strip()
    if len(why) < 5:
        raise PlatformError(
            f"restoring {ref} needs a reason (at least a few words); it is "
            "recorded with who asked in _audit/restores"
        )
    if not who:
        raise PlatformError(
            f"restoring {ref} needs to know who asks; set $USER or the lakehouse/requested_by run tag"
        )
    uri = ref.uri(lake)
    current = open_as_of(lake, ref).version()
    old = open_as_of(lake, ref, to)
    target = old.version()
    if (earlier := _same_restore_committed(lake, uri, current, target, who, why)) is not None:
        return _recorded(lake, ref, current) or _finish(lake, ref, target, earlier)
    if target >= current:
        raise PlatformError(
            f"{ref} is at version {current}; restore to an earlier version (asked for {target})"
        )
    if missing := missing_files(lake, uri, old):
        raise PlatformError(
            f"{ref} cannot be restored to version {target}: {len(missing)} of "
            "its files were removed by VACUUM and cannot come back"
        )
    carried = custom_values(lake, uri, target)
    audit = {f"{AUDIT_PREFIX}restored_by": who, f"{AUDIT_PREFIX}reason": why, f"{AUDIT_PREFIX}run_id": run_id}
    marked: dict[str, str] = {}
    if ref.zone == "processed":
        marked = _roll_back_applied_log(
            lake, ref.name, target, current + 1, f"restore to version {target} by {who}: {why}"
        )
    killpoints.reached("restore.before_commit")
    dt = DeltaTable(uri, storage_options=lake.storage_options)
    try:
        dt.restore(target, commit_properties=CommitProperties(custom_metadata={**carried, **audit}))
    except DeltaError as exc:
        undo = {applied_log.APPLIED: applied_log.ROLLED_BACK, applied_log.ROLLED_BACK: applied_log.APPLIED}
        applied_log.record(
            lake,
            ref.name,
            {f: undo[o] for f, o in marked.items()},
            current,
            note=f"restore to version {target} failed",
        )
        raise PlatformError(
            f"{ref} cannot be restored to version {target}: {exc} (files removed by VACUUM cannot come back)"
        ) from None
    killpoints.reached("restore.after_commit")
    # dt is at its own RESTORE commit (not a newer one a concurrent writer may have made)
    return _finish(lake, ref, target, commit_info(lake, uri, dt.version()) or {})
