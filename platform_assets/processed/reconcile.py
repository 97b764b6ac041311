"""Reconciliation: a processed Delta table against its Postgres table, row by row.

Compares row counts and an order-independent hash over every row and column, and lists the
keys that differ, using DuckDB over both Arrow tables so the diff is one SQL statement.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import psycopg

from platform_assets.contracts import TableContract
from platform_assets.lake import Lake
from platform_assets.sources.oltp.snapshot import read_table
from platform_assets.storage.delta import open_table
from platform_assets.storage.sql_text import sql_ident


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
    source = read_table(conn, c)
    dt = open_table(lake, "processed", c.name)
    lake_rows = dt.to_pyarrow_table(columns=c.column_names) if dt is not None else source.schema.empty_table()
    cols = ", ".join(sql_ident(n) for n in c.column_names)
    db = duckdb.connect()
    db.register("src", source)
    db.register("lk", lake_rows.select(c.column_names).cast(source.schema))
    row_hash = f"hash({cols})"
    ((n_src, h_src),) = db.execute(
        f"SELECT count(*), coalesce(sum({row_hash} % 1000000007), 0) FROM src"  # noqa: S608 -- identifiers quoted by sql_ident()
    ).fetchall()
    ((n_lk, h_lk),) = db.execute(
        f"SELECT count(*), coalesce(sum({row_hash} % 1000000007), 0) FROM lk"  # noqa: S608 -- identifiers quoted by sql_ident()
    ).fetchall()
    diff = db.execute(
        f"SELECT DISTINCT {sql_ident(c.key)} FROM ((SELECT {cols} FROM src EXCEPT ALL SELECT {cols} FROM lk)"  # noqa: S608 -- identifiers quoted by sql_ident()
        f" UNION ALL (SELECT {cols} FROM lk EXCEPT ALL SELECT {cols} FROM src))"
        f" ORDER BY 1 LIMIT {sample}"
    ).fetchall()
    return Reconciliation(c.name, n_src, n_lk, int(h_src), int(h_lk), [k for (k,) in diff])
