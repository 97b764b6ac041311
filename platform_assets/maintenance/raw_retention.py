"""Raw-zone retention: delete DMS files that were applied to the lake more than N days ago.

Why only applied files: only a file whose state in the applied log (processed/applied_log.py)
is `applied` has delivered its changes. Anything else is kept: a file not yet applied, one
put back after quarantine (logged `quarantined` or `requeued`), one whose changes a restore
rolled back (`rolled_back`, kept so that `lakehouse table reapply` can apply it again).
Why keep N days (default 7): a file that arrives late makes the apply recompute its keys from
every raw file of the table, so raw files must outlive the latest expected lateness; and until
then the raw zone can replay the processed zone from scratch.
In `prod`, S3 bucket versioning and lifecycle rules (infra/) keep deleted objects as
noncurrent versions for the bucket's own retention.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pyarrow.fs as pafs

from platform_assets.contracts import TableContract
from platform_assets.lake import Lake
from platform_assets.processed.applied_log import APPLIED, files_in_state
from platform_assets.raw.dms_layout import parse_name

DEFAULT_KEEP_DAYS = int(os.environ.get("PLATFORM_RAW_KEEP_DAYS", "7"))


@dataclass
class RetentionReport:
    table: str
    keep_days: float
    deleted: list[str] = field(default_factory=list)
    bytes_deleted: int = 0
    kept_unapplied: int = 0
    kept_recent: int = 0
    dry_run: bool = False

    def metadata(self) -> dict:
        return {
            "table": self.table,
            "keep_days": self.keep_days,
            "files_deleted": len(self.deleted),
            "bytes_deleted": self.bytes_deleted,
            "files_kept_not_applied": self.kept_unapplied,
            "files_kept_recent": self.kept_recent,
            "dry_run": self.dry_run,
        }


def purge_applied_raw_files(
    lake: Lake,
    c: TableContract,
    keep_days: float = DEFAULT_KEEP_DAYS,
    now: datetime | None = None,
    dry_run: bool = False,
) -> RetentionReport:
    """Delete the table's raw DMS files older than `keep_days` whose logged state is applied."""
    if keep_days < 0:
        raise ValueError("keep_days must be zero or more")
    report = RetentionReport(c.name, keep_days, dry_run=dry_run)
    cutoff = (now or datetime.now(UTC)) - timedelta(days=keep_days)
    done = files_in_state(lake, c.name, APPLIED)
    fs = lake.filesystem()
    prefix = lake.raw_cdc_prefix(c.schema, c.name)
    infos = fs.get_file_info(pafs.FileSelector(lake.fs_path(prefix), allow_not_found=True))
    for info in sorted(infos, key=lambda i: i.path):
        if info.type != pafs.FileType.File or parse_name(f"{prefix}/{info.base_name}") is None:
            continue
        if info.base_name not in done:
            report.kept_unapplied += 1
            continue
        mtime = info.mtime if info.mtime.tzinfo else info.mtime.replace(tzinfo=UTC)
        if mtime > cutoff:
            report.kept_recent += 1
            continue
        if not dry_run:
            fs.delete_file(info.path)
        report.deleted.append(info.base_name)
        report.bytes_deleted += info.size or 0
    return report
