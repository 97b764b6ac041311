"""The `prod` reader: the same dashboards read through Snowflake's protocol (fakesnow's server,
never Snowflake itself) draw the same numbers as from the local DuckDB warehouse, and the
column types QuickSight's data sets get are read from Snowflake's information_schema."""

from __future__ import annotations

import duckdb
from dagster_snowflake import SnowflakeResource

from platform_assets.dashboards.quicksight import table_columns
from platform_assets.dashboards.reader import DuckDBMartReader, SnowflakeMartReader
from platform_assets.dashboards.registry import BY_NAME
from platform_assets.dashboards.render import build

DATABASE = "DASHBOARDS"
COPIED = ("marts.mart_daily_revenue", "marts.mart_cohort_retention", "curated._loads", "events._loads")


def _snowflake(server: dict, database: str | None = DATABASE) -> SnowflakeResource:
    return SnowflakeResource(
        account=server["account"],
        user=server["user"],
        password=server["password"],
        database=database,
        timezone="UTC",
        additional_snowflake_connection_args={k: server[k] for k in ("host", "port", "protocol")},
    )


def _copy_to_snowflake(warehouse, server: dict) -> None:
    """The tables the two dashboards read, with DuckDB's column types, into fakesnow."""
    with _snowflake(server, None).get_connection() as con:
        con.cursor().execute(f"create database if not exists {DATABASE}")
    with duckdb.connect(str(warehouse), read_only=True) as db, _snowflake(server).get_connection() as con:
        cur = con.cursor()
        for relation in COPIED:
            schema = relation.split(".")[0]
            cols = db.execute(f"describe {relation}").fetchall()
            cur.execute(f"create schema if not exists {schema}")
            cur.execute(f"create or replace table {relation} ({', '.join(f'{c[0]} {c[1]}' for c in cols)})")
            rows = db.execute(f"select * from {relation}").fetchall()  # noqa: S608 -- the registry's relations, quoted by sql_ident()
            cur.executemany(f"insert into {relation} values ({', '.join(['%s'] * len(cols))})", rows)  # noqa: S608 -- as above; values bound (%s)


def test_snowflake_reader_draws_what_duckdb_draws(built_warehouse, fakesnow_server):
    _copy_to_snowflake(built_warehouse.warehouse_path, fakesnow_server)
    local = DuckDBMartReader(path=str(built_warehouse.warehouse_path))
    prod = SnowflakeMartReader(snowflake=_snowflake(fakesnow_server))
    for name in ("revenue", "retention"):
        d = BY_NAME[name]
        with local.session() as s:
            expected = build(d, s)
        with prod.session() as s:
            got = build(d, s)
        assert got.missing == [] and got.data_as_of == expected.data_as_of, name
        for a, b in zip(got.charts, expected.charts, strict=True):
            assert len(a.rows) == len(b.rows) > 0, a.chart.name
            for ra, rb in zip(a.rows, b.rows, strict=True):
                assert ra.keys() == rb.keys() and ra["x"] == rb["x"], a.chart.name
                assert all(abs(ra[k] - rb[k]) < 1e-6 for k in ra if k.startswith("m")), (ra, rb)
    with prod.session() as s:
        columns = {c["Name"].lower(): c["Type"] for c in table_columns(s, BY_NAME["revenue"].charts[0].table)}
        assert not s.exists("ml", "churn_model_monitoring")
    assert columns["order_date"] == "DATETIME" and columns["revenue"] == "DECIMAL"
    assert columns["orders_count"] == "INTEGER" and columns["currency_code"] == "STRING"
