"""What happened to each raw file of a processed table: a small append-only Delta table per table.

Every row is one event for one file; the newest row of a file (by time) is its state:

- `applied`: its changes are in the table. The apply skips it; raw retention may delete it.
- `quarantined`: it could not be applied and was moved to raw/_quarantine. A file of that
  name back in the raw folder (put back by hand or by `lakehouse quarantine requeue`) is
  pending again: quarantine moved the bad one away, so one that is there was put back.
- `requeued`: put back on purpose (quarantine requeue, table reapply): pending.
- `rolled_back`: applied, then undone by a restore. The apply skips it (the restored state
  stays until someone re-applies on purpose); retention keeps it, so it can be.

Rows carry the processed table's version they belong to, so the log can be read as of a
version (a restore uses that to know which files the restored state holds).

It is written *after* the data commit. If a crash falls between the two, the files look
unapplied, but their changes sit at or below the watermark committed with the data, so the
next apply takes the recompute path for them and changes nothing (see apply.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from platform_assets.lake import Lake
from platform_assets.storage.consumption_log import STAMP_FIELDS, append_log, read_log

APPLIED, QUARANTINED, REQUEUED, ROLLED_BACK = "applied", "quarantined", "requeued", "rolled_back"
# the states whose files the apply must not read again
SKIPPED_BY_APPLY = frozenset({APPLIED, ROLLED_BACK})

SCHEMA = pa.schema([("file", pa.string()), ("outcome", pa.string()), *STAMP_FIELDS, ("note", pa.string())])


@dataclass(frozen=True)
class FileState:
    file: str
    outcome: str
    at: datetime
    delta_version: int
    note: str | None = None


def file_states(lake: Lake, table: str, as_of_version: int | None = None) -> dict[str, FileState]:
    """The newest row of every file (only rows of versions <= `as_of_version`, if given)."""
    rows = read_log(lake, table)
    if rows is None:
        return {}
    if as_of_version is not None:
        rows = rows.filter(pc.less_equal(rows["delta_version"], as_of_version))
    notes = rows["note"].to_pylist() if "note" in rows.column_names else [None] * rows.num_rows
    states: dict[str, FileState] = {}
    for r, note in zip(
        rows.select(["file", "outcome", "applied_at", "delta_version"]).to_pylist(), notes, strict=True
    ):
        old = states.get(r["file"])
        if old is None or r["applied_at"] >= old.at:
            states[r["file"]] = FileState(r["file"], r["outcome"], r["applied_at"], r["delta_version"], note)
    return states


def applied_files(lake: Lake, table: str) -> set[str]:
    """Files the apply must not read again: applied, or applied and rolled back by a restore.
    Quarantined and requeued files are not here: present in the raw folder, they are pending."""
    return {f for f, s in file_states(lake, table).items() if s.outcome in SKIPPED_BY_APPLY}


def files_in_state(lake: Lake, table: str, outcome: str) -> set[str]:
    return {f for f, s in file_states(lake, table).items() if s.outcome == outcome}


def record(
    lake: Lake, table: str, outcomes: dict[str, str], delta_version: int, note: str | None = None
) -> None:
    """Append one row per file: outcome is one of the states above."""
    if not outcomes:
        return
    append_log(
        lake,
        table,
        {"file": list(outcomes), "outcome": list(outcomes.values()), "note": [note] * len(outcomes)},
        SCHEMA,
        delta_version,
    )
