"""Read a contract table from Postgres as Arrow batches in the contract's types.

Shared by the full load (which writes them to the raw zone) and by reconciliation (which
compares them with the processed Delta table), so both see rows the same way.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pyarrow as pa
from psycopg import sql

from platform_assets.contracts import TableContract

FETCH_ROWS = 50_000


def table_batches(conn: psycopg.Connection, c: TableContract) -> Iterator[pa.RecordBatch]:
    schema = c.arrow_schema()
    query = sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
        sql.SQL(", ").join(map(sql.Identifier, c.column_names)),
        sql.Identifier(c.schema, c.name),
        sql.Identifier(c.key),
    )
    with conn.cursor(name=f"snapshot_{c.name}") as cur:
        cur.execute(query)
        while chunk := cur.fetchmany(FETCH_ROWS):
            columns = zip(*chunk, strict=True)
            yield pa.RecordBatch.from_arrays(
                [pa.array(col, f.type) for col, f in zip(columns, schema, strict=True)], schema=schema
            )


def read_table(conn: psycopg.Connection, c: TableContract) -> pa.Table:
    return pa.Table.from_batches(list(table_batches(conn, c)), schema=c.arrow_schema())
