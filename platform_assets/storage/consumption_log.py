"""Append-only Delta logs of what a zone has consumed (raw files, landed event files).

Each consumer keeps its own log under `processed/_applied_files/<name>` and its own meaning
for the rows (processed/applied_log.py: a state per DMS file; events_lake/applied.py: the
event dates of each landed file). The storage is one rule: appended after the data commit,
read whole, stamped with the time and the Delta version of the data they belong to. A log
that gains a column takes it on the next append (older rows read it as null).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from platform_assets.lake import Lake

STAMP_FIELDS = [pa.field("applied_at", pa.timestamp("us", tz="UTC")), pa.field("delta_version", pa.int64())]


def read_log(lake: Lake, name: str, columns: list[str] | None = None) -> pa.Table | None:
    """The whole log, or None if nothing was ever recorded."""
    try:
        dt = DeltaTable(lake.applied_log_uri(name), storage_options=lake.storage_options)
    except TableNotFoundError:
        return None
    return dt.to_pyarrow_table(columns=columns)


def append_log(lake: Lake, name: str, rows: dict[str, list], schema: pa.Schema, delta_version: int) -> None:
    """Append rows (columns of `schema` but the stamp), stamped now and with `delta_version`."""
    n = len(next(iter(rows.values()))) if rows else 0
    if n == 0:
        return
    stamped = {**rows, "applied_at": [datetime.now(UTC)] * n, "delta_version": [delta_version] * n}
    write_deltalake(
        lake.applied_log_uri(name),
        pa.table(stamped, schema=schema),
        mode="append",
        schema_mode="merge",
        storage_options=lake.storage_options,
    )
