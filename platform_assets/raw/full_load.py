"""The full load: each contract table copied once into `LOAD0000000N.parquet` files.

All tables are read in one REPEATABLE READ snapshot, so they are consistent with each other.
The replication slot is created *before* the snapshot (see cdc_capture.slot), so CDC starts
no later than the snapshot: a change both in a LOAD file and in CDC is applied twice, which
the ordered, last-change-wins apply makes harmless. A table that already has LOAD files is
skipped, as a DMS task does after its full load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg
import pyarrow as pa

from platform_assets import killpoints
from platform_assets.contracts import TableContract
from platform_assets.lake import Lake
from platform_assets.raw.dms_layout import TIMESTAMP_COLUMN, load_file_name
from platform_assets.raw.files import list_raw_files
from platform_assets.sources.oltp.snapshot import table_batches
from platform_assets.storage.files import write_parquet_atomic

ROWS_PER_FILE = 500_000


@dataclass
class FullLoadResult:
    files: dict[str, list[str]] = field(default_factory=dict)  # table -> LOAD files written
    rows: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # tables that already had a full load


def _file_schema(c: TableContract) -> pa.Schema:
    return c.arrow_schema().insert(0, pa.field(TIMESTAMP_COLUMN, pa.timestamp("us", tz="UTC")))


def _copy_table(
    conn: psycopg.Connection, lake: Lake, c: TableContract, loaded_at: datetime
) -> tuple[list[str], int]:
    schema = _file_schema(c)
    files, rows, buffer = [], 0, []

    def flush() -> None:
        batch = pa.Table.from_batches(buffer, schema=schema)
        uri = f"{lake.raw_cdc_prefix(c.schema, c.name)}/{load_file_name(len(files) + 1)}"
        write_parquet_atomic(lake, uri, batch)
        files.append(uri)
        buffer.clear()
        killpoints.reached("full_load.after_file")

    for batch in table_batches(conn, c):
        stamp = pa.array([loaded_at] * batch.num_rows, schema.field(0).type)
        buffer.append(pa.RecordBatch.from_arrays([stamp, *batch.columns], schema=schema))
        rows += batch.num_rows
        if sum(b.num_rows for b in buffer) >= ROWS_PER_FILE:
            flush()
    if buffer or not files:
        flush()
    return files, rows


def full_load(dsn: str, lake: Lake, contracts: list[TableContract]) -> FullLoadResult:
    result = FullLoadResult()
    todo = []
    for c in contracts:
        if any(f.kind == "load" for f in list_raw_files(lake, c.schema, c.name)):
            result.skipped.append(c.name)
        else:
            todo.append(c)
    if not todo:
        return result
    with psycopg.connect(dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        loaded_at = conn.execute("SELECT now()").fetchone()[0].astimezone(UTC)
        for c in todo:
            result.files[c.name], result.rows[c.name] = _copy_table(conn, lake, c, loaded_at)
    return result
