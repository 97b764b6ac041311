"""Reconciliation: a processed Delta table against its Postgres table, row by row.

Compares row counts and an order-independent hash over every row and column, and lists the
keys that differ, using DuckDB over both tables so the diff is one SQL statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
import pyarrow as pa

from platform_assets.contracts import TableContract
from platform_assets.lake import Lake
from platform_assets.sources.oltp.snapshot import table_batches
from platform_assets.storage.delta import open_table
from platform_assets.storage.duckdb_memory import bounded_duckdb
from platform_assets.storage.sql_text import sql_ident

# the lake side's scanner reads this far ahead (pyarrow's default: 16 batches of 4 files)
SCAN_AHEAD = {"batch_readahead": 2, "fragment_readahead": 1}


@dataclass
class Reconciliation:
    table: str
    source_rows: int
    lake_rows: int
    source_hash: int
    lake_hash: int
    differing_keys: list[int] = field(default_factory=list)

    @property
    def matches(self) -> bool:
        return (
            self.source_rows == self.lake_rows
            and self.source_hash == self.lake_hash
            and not self.differing_keys
        )


def reconcile(conn: psycopg.Connection, lake: Lake, c: TableContract, sample: int = 20) -> Reconciliation:
    schema = c.arrow_schema()
    dt = open_table(lake, "processed", c.name)
    lake_batches = (
        pa.Table.from_batches([b]).select(c.column_names).cast(schema).to_batches()
        for b in (
            dt.to_pyarrow_dataset().to_batches(columns=c.column_names, **SCAN_AHEAD) if dt is not None else []
        )
    )
    cols = ", ".join(sql_ident(n) for n in c.column_names)
    # Both sides stream into DuckDB tables, which spill to a scratch folder past the limit:
    # the check holds a batch of each side in Python, never a whole table.
    with bounded_duckdb("reconcile-") as db:
        sides = [("src", table_batches(conn, c)), ("lk", (b for bs in lake_batches for b in bs))]
        for name, batches in sides:
            db.register("stream", pa.RecordBatchReader.from_batches(schema, batches))
            db.execute(f"CREATE TABLE {name} AS SELECT * FROM stream")  # noqa: S608 -- fixed names
            db.unregister("stream")
        row_hash = f"hash({cols})"
        ((n_src, h_src),) = db.execute(
            f"SELECT count(*), coalesce(sum({row_hash} % 1000000007), 0) FROM src"  # noqa: S608 -- identifiers quoted by sql_ident()
        ).fetchall()
        ((n_lk, h_lk),) = db.execute(
            f"SELECT count(*), coalesce(sum({row_hash} % 1000000007), 0) FROM lk"  # noqa: S608 -- identifiers quoted by sql_ident()
        ).fetchall()
        diff = db.execute(
            f"SELECT DISTINCT {sql_ident(c.key)} FROM "  # noqa: S608 -- identifiers quoted by sql_ident()
            f"((SELECT {cols} FROM src EXCEPT ALL SELECT {cols} FROM lk)"
            f" UNION ALL (SELECT {cols} FROM lk EXCEPT ALL SELECT {cols} FROM src))"
            f" ORDER BY 1 LIMIT {sample}"
        ).fetchall()
    return Reconciliation(c.name, n_src, n_lk, int(h_src), int(h_lk), [k for (k,) in diff])
