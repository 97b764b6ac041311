"""Which (landed file, event date) pairs the events table holds: an append-only Delta log.

Why pairs, not files: a file can hold events of two or three dates and a run may cover only
some of them; a pair is recorded once that date's events of that file are in the table. The
log is written after the data commit; a crash between the two leaves pairs that look
pending, and rereading them is harmless because the MERGE inserts only what is missing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from platform_assets.lake import Lake

LOG = "events"
SCHEMA = pa.schema([("file", pa.string()), ("event_date", pa.date32()),
                    ("applied_at", pa.timestamp("us", tz="UTC")), ("delta_version", pa.int64())])


def applied_pairs(lake: Lake) -> dict[str, set[date]]:
    """file key -> the event dates of it already in the table."""
    try:
        dt = DeltaTable(lake.applied_log_uri(LOG), storage_options=lake.storage_options)
    except TableNotFoundError:
        return {}
    t = dt.to_pyarrow_table(columns=["file", "event_date"])
    done: dict[str, set[date]] = defaultdict(set)
    for f, d in zip(t["file"].to_pylist(), t["event_date"].to_pylist(), strict=True):
        done[f].add(d)
    return done


def record(lake: Lake, pairs: list[tuple[str, date]], delta_version: int) -> None:
    if not pairs:
        return
    now = datetime.now(UTC)
    rows = pa.table({"file": [f for f, _ in pairs], "event_date": [d for _, d in pairs],
                     "applied_at": [now] * len(pairs),
                     "delta_version": [delta_version] * len(pairs)}, schema=SCHEMA)
    write_deltalake(lake.applied_log_uri(LOG), rows, mode="append",
                    storage_options=lake.storage_options)
