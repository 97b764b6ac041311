"""Re-apply on purpose the raw files a restore rolled back (`lakehouse table reapply`).

A restore of a processed table leaves its state in place: the raw files whose changes it took
out are logged `rolled_back` and the apply skips them (tables/restore.py). Reapplying logs them
`requeued`, so the next apply of the table reads them again, in source order with everything
applied since (their changes are recomputed per key when newer ones were applied meanwhile).
"""

from __future__ import annotations

from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.processed import applied_log
from platform_assets.storage.delta import open_table
from platform_assets.tables.refs import TableRef


def reapply(lake: Lake, ref: TableRef, *, who: str, why: str) -> list[str]:
    """Queue the table's rolled-back raw files again; returns their names (none: nothing to do)."""
    if ref.zone != "processed":
        raise PlatformError(
            f"{ref}: only processed tables are applied from raw files; reapply processed.{ref.name}"
        )
    held = sorted(applied_log.files_in_state(lake, ref.name, applied_log.ROLLED_BACK))
    dt = open_table(lake, "processed", ref.name)
    applied_log.record(
        lake,
        ref.name,
        dict.fromkeys(held, applied_log.REQUEUED),
        dt.version() if dt is not None else -1,
        note=f"reapplied by {who}: {why}",
    )
    return held
