"""Which (landed file, event date) pairs the events table holds: an append-only Delta log.

Why pairs, not files: a file can hold events of two or three dates and a run may cover only
some of them; a pair is recorded once that date's events of that file are in the table. The
log is written after the data commit; a crash between the two leaves pairs that look
pending, and rereading them is harmless because the MERGE inserts only what is missing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pyarrow as pa

from platform_assets.lake import Lake
from platform_assets.storage.consumption_log import STAMP_FIELDS, append_log, read_log

LOG = "events"
SCHEMA = pa.schema([("file", pa.string()), ("event_date", pa.date32()), *STAMP_FIELDS])


def applied_pairs(lake: Lake) -> dict[str, set[date]]:
    """file key -> the event dates of it already in the table."""
    t = read_log(lake, LOG, columns=["file", "event_date"])
    if t is None:
        return {}
    done: dict[str, set[date]] = defaultdict(set)
    for f, d in zip(t["file"].to_pylist(), t["event_date"].to_pylist(), strict=True):
        done[f].add(d)
    return done


def record(lake: Lake, pairs: list[tuple[str, date]], delta_version: int) -> None:
    append_log(
        lake, LOG, {"file": [f for f, _ in pairs], "event_date": [d for _, d in pairs]}, SCHEMA, delta_version
    )
