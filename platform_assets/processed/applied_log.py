"""Which raw files a processed table has consumed: a small append-only Delta table per table.

It is written *after* the data commit. If a crash falls between the two, the files look
unapplied, but their changes sit at or below the watermark committed with the data, so the
next apply takes the recompute path for them and changes nothing (see apply.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from platform_assets.lake import Lake

SCHEMA = pa.schema([("file", pa.string()), ("outcome", pa.string()),
                    ("applied_at", pa.timestamp("us", tz="UTC")), ("delta_version", pa.int64())])


def applied_files(lake: Lake, table: str) -> set[str]:
    try:
        dt = DeltaTable(lake.applied_log_uri(table), storage_options=lake.storage_options)
    except TableNotFoundError:
        return set()
    return set(dt.to_pyarrow_table(columns=["file"])["file"].to_pylist())


def record(lake: Lake, table: str, outcomes: dict[str, str], delta_version: int) -> None:
    """Remember files as consumed: outcome is 'applied' or 'quarantined'."""
    if not outcomes:
        return
    now = datetime.now(UTC)
    rows = pa.table({"file": list(outcomes), "outcome": list(outcomes.values()),
                     "applied_at": [now] * len(outcomes),
                     "delta_version": [delta_version] * len(outcomes)}, schema=SCHEMA)
    write_deltalake(lake.applied_log_uri(table), rows, mode="append",
                    storage_options=lake.storage_options)
