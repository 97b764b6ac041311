"""DDL for the shop schema, generated from the table contracts."""

from __future__ import annotations

import psycopg

from platform_assets.contracts import CONTRACTS, TableContract
from platform_assets.contracts.types import logical_type


def create_table_sql(c: TableContract) -> str:
    cols = []
    for col in c.columns:
        null = "" if col.nullable else " NOT NULL"
        cols.append(f'    "{col.name}" {logical_type(col.type).postgres}{null}')
    cols.append(f"    PRIMARY KEY ({', '.join(c.primary_key)})")
    body = ",\n".join(cols)
    return f'CREATE TABLE IF NOT EXISTS "{c.schema}"."{c.name}" (\n{body}\n)'


def ensure_schema(conn: psycopg.Connection) -> None:
    """Create the contract tables if missing and set the replica identity they declare.

    REPLICA IDENTITY FULL puts the whole old row in UPDATE/DELETE messages, which both gives
    deletes their key and fills unchanged TOASTed columns of updates (as DMS expects).
    """
    for c in CONTRACTS.values():
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{c.schema}"')
        conn.execute(create_table_sql(c))
        identity = "FULL" if c.replica_identity == "full" else "DEFAULT"
        conn.execute(f'ALTER TABLE "{c.schema}"."{c.name}" REPLICA IDENTITY {identity}')
    conn.commit()


def row_counts(conn: psycopg.Connection) -> dict[str, int]:
    return {
        c.name: conn.execute(f'SELECT count(*) FROM "{c.schema}"."{c.name}"').fetchone()[0]
        for c in CONTRACTS.values()
    }
