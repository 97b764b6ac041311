"""Parity: the same curated zone, loaded and built on DuckDB (`local`) and on Snowflake SQL
(`prod`, pointed at a local `fakesnow -s` server by environment variables), gives marts with the
same row counts and totals. On fakesnow the load goes through the stage and COPY INTO with its
load history, and a second load and build (incremental facts, snapshot merge) change nothing.

The shims fakesnow needs are declared by PLATFORM_WAREHOUSE_EMULATOR=fakesnow and kept in
platform_assets/warehouse/emulator.py and dbt_project/macros/emulator_shims.sql.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from servers import stop_server
from warehouse_data import EXCLUDE_EVENTS, MARTS, shop_rows, write_curated

from platform_assets.contracts import CONTRACTS
from platform_assets.lake import Lake
from platform_assets.settings import DBT_PROJECT_DIR
from platform_assets.warehouse.loader import DuckDBCuratedLoader, SnowflakeCuratedLoader
from platform_assets.warehouse.project import dbt_executable

pytestmark = pytest.mark.slow
DATABASE = "LAKEHOUSE"
TOTALS = {"mart_daily_revenue": "revenue", "mart_customer_lifetime_value": "lifetime_revenue",
          "mart_product_performance": "net_revenue", "fct_orders": "total_amount"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def fakesnow_server(tmp_path):
    """`fakesnow -s` on a free port; yields the connection settings."""
    port = _free_port()
    log = open(tmp_path / "fakesnow.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(Path(sys.executable).with_name("fakesnow")), "-s",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        settings = {"account": "fakesnow", "user": "fake", "password": "snow",
                    "host": "127.0.0.1", "port": port, "protocol": "http"}
        import snowflake.connector

        with snowflake.connector.connect(**settings) as con:
            con.cursor().execute(f"create database if not exists {DATABASE}")
        yield settings
    finally:
        stop_server(proc)
        log.close()


def _dbt_build(target: str, env: dict[str, str], target_path: Path) -> None:
    cmd = [dbt_executable(), "build", "--profiles-dir", str(DBT_PROJECT_DIR), "--target", target,
           "--target-path", str(target_path), "--exclude", *EXCLUDE_EVENTS]
    done = subprocess.run(cmd, cwd=DBT_PROJECT_DIR, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]


def _profile(rows_of, total_of) -> dict[str, tuple]:
    """Rows per mart, and the money total of some, in cents (fakesnow returns sums as floats)."""
    return {m: (rows_of(m), round(float(total_of(m, TOTALS[m])) * 100) if m in TOTALS else None)
            for m in MARTS}


def test_duckdb_and_snowflake_builds_agree(tmp_path, fakesnow_server, monkeypatch):
    lake_root = tmp_path / "lake"
    write_curated(lake_root, shop_rows(60))
    lake = Lake(str(lake_root))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))

    # DuckDB: the local target
    warehouse = tmp_path / "warehouse.duckdb"
    DuckDBCuratedLoader(path=str(warehouse)).load(lake, CONTRACTS.values())
    _dbt_build("local", {"PLATFORM_WAREHOUSE_PATH": str(warehouse),
                         "PLATFORM_LAKE_ROOT": str(lake_root)}, tmp_path / "target-duckdb")
    with duckdb.connect(str(warehouse), read_only=True) as db:
        local = _profile(
            lambda m: db.execute(f"select count(*) from marts.{m}").fetchone()[0],
            lambda m, c: db.execute(f"select sum({c}) from marts.{m}").fetchone()[0])

    # Snowflake SQL on fakesnow: the prod target, pointed at the server by env vars
    s = fakesnow_server
    monkeypatch.setenv("PLATFORM_WAREHOUSE_EMULATOR", "fakesnow")
    loader = SnowflakeCuratedLoader(account=s["account"], user=s["user"], password=s["password"],
                                database=DATABASE, host=s["host"], port=s["port"],
                                protocol=s["protocol"], stage_url=f"file://{lake_root}/curated/",
                                emulator="fakesnow")
    first = loader.load(lake, CONTRACTS.values())
    assert all(r.files_added == 1 and r.rows > 0 for r in first)
    env = {"SNOWFLAKE_ACCOUNT": s["account"], "SNOWFLAKE_USER": s["user"],
           "SNOWFLAKE_PASSWORD": s["password"], "SNOWFLAKE_ROLE": "SYSADMIN",
           "SNOWFLAKE_DATABASE": DATABASE, "SNOWFLAKE_WAREHOUSE": "TRANSFORMING",
           "SNOWFLAKE_HOST": s["host"], "SNOWFLAKE_PORT": str(s["port"]),
           "SNOWFLAKE_PROTOCOL": s["protocol"], "PLATFORM_WAREHOUSE_EMULATOR": "fakesnow"}
    _dbt_build("prod", env, tmp_path / "target-snowflake")

    import snowflake.connector

    with snowflake.connector.connect(**{k: v for k, v in s.items()}, database=DATABASE) as con:
        cur = con.cursor()

        def one(sql):
            cur.execute(sql)
            return cur.fetchone()[0]

        def snowflake_profile():
            return _profile(lambda m: one(f"select count(*) from marts.{m}"),
                            lambda m, c: one(f"select sum({c}) from marts.{m}"))

        assert snowflake_profile() == local
        assert all(n > 0 for n, _ in local.values())

        # load again (nothing new: files and COPY's load history) and build again
        # (incremental delete+insert and the snapshot's merge on Snowflake SQL)
        assert all(r.unchanged for r in loader.load(lake, CONTRACTS.values()))
        _dbt_build("prod", env, tmp_path / "target-snowflake")
        assert snowflake_profile() == local
        assert one("select count(*) from snapshots.snap_customers") == \
            local["dim_customers"][0]
        assert one("select count(distinct order_id) from marts.fct_orders") == \
            local["fct_orders"][0]
