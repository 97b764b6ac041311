"""DDL for the shop schema, generated from the table contracts."""

from __future__ import annotations

import psycopg
from psycopg import sql

from platform_assets.contracts import CONTRACTS, TableContract
from platform_assets.contracts.types import logical_type


def create_table_sql(c: TableContract) -> sql.Composed:
    """CREATE TABLE for a contract; every name is quoted by psycopg.sql, none by hand."""
    cols = [
        sql.SQL("    {} {}{}").format(
            sql.Identifier(col.name),
            sql.SQL(logical_type(col.type).postgres),  # the contract's type table, not input
            sql.SQL("" if col.nullable else " NOT NULL"),
        )
        for col in c.columns
    ]
    cols.append(
        sql.SQL("    PRIMARY KEY ({})").format(sql.SQL(", ").join(map(sql.Identifier, c.primary_key)))
    )
    return sql.SQL("CREATE TABLE IF NOT EXISTS {} (\n{}\n)").format(
        sql.Identifier(c.schema, c.name), sql.SQL(",\n").join(cols)
    )


def ensure_table(conn: psycopg.Connection, c: TableContract) -> None:
    """Create one contract's schema and table if missing and set the replica identity it declares.

    REPLICA IDENTITY FULL puts the whole old row in UPDATE/DELETE messages, which both gives
    deletes their key and fills unchanged TOASTed columns of updates (as DMS expects).
    """
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(c.schema)))
    conn.execute(create_table_sql(c))
    identity = sql.SQL("FULL" if c.replica_identity == "full" else "DEFAULT")
    conn.execute(
        sql.SQL("ALTER TABLE {} REPLICA IDENTITY {}").format(sql.Identifier(c.schema, c.name), identity)
    )


def ensure_schema(conn: psycopg.Connection) -> None:
    """Create every contract table if missing (`ensure_table`), then commit."""
    for c in CONTRACTS.values():
        ensure_table(conn, c)
    conn.commit()


def count_rows(conn: psycopg.Connection, c: TableContract) -> int:
    return conn.execute(
        sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(c.schema, c.name))
    ).fetchone()[0]


def row_counts(conn: psycopg.Connection) -> dict[str, int]:
    return {c.name: count_rows(conn, c) for c in CONTRACTS.values()}
