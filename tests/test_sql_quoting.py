"""Identifiers reach SQL quoted by construction: a name holding a quote, a space and a keyword
round-trips through DuckDB (`sql_ident`) and through Postgres (`psycopg.sql`, the OLTP schema,
copy and snapshot code) as exactly that name."""

from __future__ import annotations

import duckdb
import psycopg
import pyarrow as pa
import pytest
from psycopg import sql

from platform_assets.contracts.model import Column, TableContract
from platform_assets.demo import qualified_model
from platform_assets.storage.sql_text import RESERVED, sql_ident, sql_string

WEIRD = 'we"ird select'
ROWS = 1000


def test_plain_names_stay_bare_so_snowflake_folds_them_as_before():
    # Snowflake matches a quoted name exactly: quoting `orders` would name another table
    assert sql_ident("curated", "orders") == "curated.orders"
    assert sql_ident("select") == '"select"'
    assert sql_ident(WEIRD) == '"we""ird select"'
    with pytest.raises(ValueError, match="empty"):
        sql_ident("")


def test_every_reserved_word_of_the_installed_duckdb_is_quoted():
    reserved = {
        k
        for (k,) in duckdb.sql(
            "select keyword_name from duckdb_keywords() where keyword_category = 'reserved'"
        ).fetchall()
    }
    assert reserved - RESERVED == set()


def test_a_quote_and_a_keyword_round_trip_through_duckdb():
    with duckdb.connect() as db:
        for _ in range(2):  # twice: the second run finds what the first made
            db.execute(f"create schema if not exists {sql_ident(WEIRD)}")
            db.execute(f"create or replace table {sql_ident(WEIRD, WEIRD)} ({sql_ident('select')} bigint)")
            db.execute(f"insert into {sql_ident(WEIRD, WEIRD)} select range from range({ROWS})")  # noqa: S608 -- identifiers quoted by sql_ident()
        assert db.execute(
            "select table_schema, table_name from information_schema.tables where table_name = ?", [WEIRD]
        ).fetchall() == [(WEIRD, WEIRD)]
        col = sql_ident("select")
        n, total = db.execute(f"select count(*), sum({col}) from {sql_ident(WEIRD, WEIRD)}").fetchone()  # noqa: S608 -- identifiers quoted by sql_ident()
        assert (n, total) == (ROWS, ROWS * (ROWS - 1) // 2)
        assert db.execute(f"select {sql_string(WEIRD)} as v").fetchone() == (WEIRD,)
        # the demo's summary counts a mart wherever dbt put it, through the same helper
        n = db.execute(f"select count(*) from {qualified_model(db, WEIRD)}").fetchone()[0]  # noqa: S608 -- identifiers quoted by sql_ident()
        assert n == ROWS


WEIRD_CONTRACT = TableContract(
    name=WEIRD,
    schema=WEIRD,
    description="A table whose names test the quoting.",
    owner="team:platform",
    primary_key=(WEIRD,),
    columns=(
        Column(WEIRD, "bigint", nullable=False),
        Column("select", "text"),
        Column('say "hi"', "text"),
    ),
)


def test_a_quote_and_a_keyword_round_trip_through_postgres(pg_dsn):
    from platform_assets.sources.oltp.schema import count_rows, ensure_table
    from platform_assets.sources.oltp.seed import copy_rows
    from platform_assets.sources.oltp.snapshot import read_table

    c = WEIRD_CONTRACT
    rows = [(i, f"s{i}", f'"{i}"') for i in range(1, ROWS + 1)]
    with psycopg.connect(pg_dsn) as conn:
        for _ in range(2):  # twice: creating and reading again changes nothing
            ensure_table(conn, c)
            conn.commit()
        copy_rows(conn, c, rows)
        conn.commit()
        assert count_rows(conn, c) == ROWS
        got = read_table(conn, c)
        assert got.num_rows == ROWS
        assert got.equals(
            pa.Table.from_pylist([dict(zip(c.column_names, r, strict=True)) for r in rows], c.arrow_schema())
        )
        # Postgres stored exactly these names (a bare keyword or a stray quote would not parse)
        found = conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
            (WEIRD, WEIRD),
        ).fetchall()
        assert [n for (n,) in found] == c.column_names
        identity = conn.execute(
            sql.SQL("SELECT relreplident FROM pg_class WHERE oid = {}::regclass").format(
                sql.Literal(sql.Identifier(WEIRD, WEIRD).as_string(conn))
            )
        ).fetchone()[0]
        assert identity == "f"  # REPLICA IDENTITY FULL, as the contract declares
