"""Reconciliation: a processed Delta table against its Postgres table, row by row.

Compares row counts and an order-independent hash over every row and column, and lists the
keys that differ, using DuckDB so each comparison is one SQL statement.

It walks the key space in windows and holds one window of each side, so its memory does not
grow with the table. Postgres streams its rows in key order; each window takes the next
`WINDOW_ROWS` of them, up to a key k, and compares them with the lake's rows of the same key
range, read through the key-range partitions (`_key_bucket`) that can hold them. The first
window starts below every key and the last runs past every key, so a lake row outside
Postgres's key range is still compared.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg
import pyarrow as pa
import pyarrow.dataset as ds

from platform_assets.contracts import TableContract
from platform_assets.contracts.model import KEY_BUCKET_COLUMN
from platform_assets.lake import Lake
from platform_assets.processed.changes import key_buckets
from platform_assets.sources.oltp.snapshot import table_batches
from platform_assets.storage.delta import open_table
from platform_assets.storage.duckdb_memory import bounded_duckdb
from platform_assets.storage.sql_text import sql_ident

# Postgres rows per window (the lake's rows of the same key range come beside them)
WINDOW_ROWS = 500_000
# the hash of a side is the sum of its row hashes modulo this prime (order-independent)
HASH_MODULUS = 1_000_000_007


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


@dataclass(frozen=True)
class Window:
    """Keys in [low, high); None is unbounded."""

    low: int | None
    high: int | None
    source: pa.Table


def source_windows(
    batches: Iterator[pa.RecordBatch], c: TableContract, schema: pa.Schema
) -> Iterator[Window]:
    """Postgres's rows (in key order) cut into windows of about WINDOW_ROWS rows each."""
    held: list[pa.RecordBatch] = []
    rows, low = 0, None
    for batch in batches:
        held.append(batch)
        rows += batch.num_rows
        if rows >= WINDOW_ROWS:
            high = batch.column(c.key)[-1].as_py() + 1  # keys are unique: every key < high is held
            yield Window(low, high, pa.Table.from_batches(held, schema))
            held, rows, low = [], 0, high
    yield Window(low, None, pa.Table.from_batches(held, schema))


def _bucket_of(key: int, c: TableContract) -> int:
    """The key-range partition of one key, by the apply's rule."""
    return key_buckets(pa.array([key], pa.int64()), c)[0].as_py()


def lake_window(dataset: ds.Dataset | None, c: TableContract, window: Window) -> pa.Table:
    """The lake's rows with keys in the window, read from the partitions that can hold them."""
    schema = c.arrow_schema()
    if dataset is None:
        return schema.empty_table()
    key, bucket = ds.field(c.key), ds.field(KEY_BUCKET_COLUMN)
    where = ds.scalar(True)
    if window.low is not None:
        where &= (key >= window.low) & (bucket >= _bucket_of(window.low, c))
    if window.high is not None:
        where &= (key < window.high) & (bucket <= _bucket_of(window.high - 1, c))
    rows = dataset.to_table(columns=c.column_names, filter=where)
    return rows.select(c.column_names).cast(schema)


def reconcile(conn: psycopg.Connection, lake: Lake, c: TableContract, sample: int = 20) -> Reconciliation:
    schema = c.arrow_schema()
    dt = open_table(lake, "processed", c.name)
    dataset = dt.to_pyarrow_dataset() if dt is not None else None
    cols = ", ".join(sql_ident(n) for n in c.column_names)
    side = f"SELECT count(*), coalesce(sum(hash({cols}) % {HASH_MODULUS}), 0) FROM {{}}"  # noqa: S608 -- identifiers quoted by sql_ident()
    diff = (
        f"SELECT DISTINCT {sql_ident(c.key)} FROM "  # noqa: S608 -- identifiers quoted by sql_ident()
        f"((SELECT {cols} FROM src EXCEPT ALL SELECT {cols} FROM lk)"
        f" UNION ALL (SELECT {cols} FROM lk EXCEPT ALL SELECT {cols} FROM src))"
        " ORDER BY 1 LIMIT {}"
    )
    totals = {"src": [0, 0], "lk": [0, 0]}
    differing: list[int] = []
    with bounded_duckdb("reconcile-") as db:
        for window in source_windows(table_batches(conn, c), c, schema):
            db.register("src", window.source)
            db.register("lk", lake_window(dataset, c, window))
            for name, total in totals.items():
                ((n, h),) = db.execute(side.format(name)).fetchall()
                total[0] += n
                total[1] += int(h)
            # windows come in key order, so the first `sample` keys found are the smallest
            if len(differing) < sample:
                differing += [k for (k,) in db.execute(diff.format(sample - len(differing))).fetchall()]
            db.unregister("src")
            db.unregister("lk")
    (n_src, h_src), (n_lk, h_lk) = totals["src"], totals["lk"]
    return Reconciliation(c.name, n_src, n_lk, h_src, h_lk, differing)
