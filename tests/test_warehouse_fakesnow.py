"""Parity: the same curated zone, loaded and built on DuckDB (`local`) and on Snowflake SQL
(`prod`, pointed at a local `fakesnow -s` server by environment variables), gives marts with the
same row counts and totals. On fakesnow the load goes through the stage and COPY INTO with its
load history, and a second load and build (incremental facts, snapshot merge) change nothing.

The shims fakesnow needs are declared by PLATFORM_WAREHOUSE_EMULATOR=fakesnow and kept in
platform_assets/warehouse/emulator.py and dbt_project/macros/emulator_shims.sql.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import duckdb
import pytest
from dagster_snowflake import SnowflakeResource
from warehouse_data import EVENT_MARTS, MART_TOTALS, MARTS, shop_rows, write_curated

from platform_assets.contracts import CONTRACTS
from platform_assets.contracts.events import EVENTS
from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.settings import DBT_PROJECT_DIR
from platform_assets.warehouse.load_sql import curated_copy, events_copy
from platform_assets.warehouse.loader import SnowflakeCuratedLoader
from platform_assets.warehouse.project import dbt_executable

pytestmark = pytest.mark.slow
DATABASE = "LAKEHOUSE"
TOTALS = MART_TOTALS
COPIES = [*(curated_copy(c) for c in CONTRACTS.values()), events_copy(EVENTS)]


def snowflake(server: dict, database: str, timeout_s: int = 30) -> SnowflakeResource:
    """dagster-snowflake's resource pointed at the fakesnow server, with the timeouts."""
    with SnowflakeResource(
        account=server["account"],
        user=server["user"],
        password=server["password"],
        additional_snowflake_connection_args={k: server[k] for k in ("host", "port", "protocol")},
    ).get_connection() as con:
        con.cursor().execute(f"create database if not exists {database}")
    return SnowflakeResource(
        account=server["account"],
        user=server["user"],
        password=server["password"],
        database=database,
        timezone="UTC",
        login_timeout=timeout_s,
        network_timeout=timeout_s,
        additional_snowflake_connection_args={
            "host": server["host"],
            "port": server["port"],
            "protocol": server["protocol"],
            "socket_timeout": timeout_s,
        },
    )


def fakesnow_loader(server: dict, database: str, lake_url: str, timeout_s: int = 30):
    return SnowflakeCuratedLoader(
        snowflake=snowflake(server, database, timeout_s), lake_url=lake_url, emulator="fakesnow"
    )


def _within(seconds: float, call):
    """Run `call` in a thread; fail if it has not returned (or raised) after `seconds`."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still running after {seconds} s (no timeout)"
    return outcome, time.monotonic() - started


def test_a_stage_that_cannot_be_read_fails_the_load_within_its_timeouts(tmp_path, fakesnow_server):
    """The stage reads a place that does not exist: the server answers 500 to every retry, and
    without a network timeout the connector retries without end."""
    lake_root = tmp_path / "lake"
    write_curated(lake_root, shop_rows(10))
    loader = fakesnow_loader(fakesnow_server, "UNREADABLE", f"file://{tmp_path}/nowhere", 5)
    outcome, took = _within(120, lambda: loader.load(Lake(str(lake_root)), [CONTRACTS["orders"]]))
    error = outcome.get("error")
    assert isinstance(error, PlatformError), outcome
    assert "curated.orders" in str(error) and "network timeout 5 s" in str(error)
    assert took < 90


def test_a_server_that_is_not_there_is_a_clear_error(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    server = {
        "account": "fakesnow",
        "user": "u",
        "password": "p",
        "host": "127.0.0.1",
        "port": port,
        "protocol": "http",
    }
    loader = SnowflakeCuratedLoader(
        snowflake=SnowflakeResource(
            account="fakesnow",
            user="u",
            password="p",
            login_timeout=5,
            network_timeout=5,
            additional_snowflake_connection_args={
                **{k: server[k] for k in ("host", "port", "protocol")},
                "socket_timeout": 5,
            },
        ),
        lake_url="file:///lake",
    )
    outcome, _ = _within(60, lambda: loader.load(Lake(str(tmp_path)), [CONTRACTS["orders"]]))
    assert isinstance(outcome.get("error"), PlatformError), outcome
    assert f"127.0.0.1:{port}" in str(outcome["error"])


def _stage_urls(loader: SnowflakeCuratedLoader) -> dict[str, str]:
    with loader.snowflake.get_connection() as con:
        cur = con.cursor()
        cur.execute("show stages in schema curated")
        names = [d[0].lower() for d in cur.description]
        return {
            r["name"].lower(): r["url"]
            for r in (dict(zip(names, row, strict=True)) for row in cur.fetchall())
        }


def test_the_stage_follows_the_setting(tmp_path, fakesnow_server):
    """PLATFORM_WAREHOUSE_STAGE_URL moved (a new bucket): the stage reads the new place."""
    first, second = tmp_path / "first", tmp_path / "second"
    write_curated(first, shop_rows(10))
    shutil.copytree(first, second)
    for root in (first, second):
        loader = fakesnow_loader(fakesnow_server, "MOVING", f"file://{root}")
        loader.load(Lake(str(root)), [CONTRACTS["customers"]])
        assert _stage_urls(loader) == {"lake_curated": f"file://{root}/curated/"}
        assert loader.load(Lake(str(root)), [CONTRACTS["customers"]])[0].unchanged


def _dbt_build(target: str, env: dict[str, str], target_path: Path) -> None:
    cmd = [
        dbt_executable(),
        "build",
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target",
        target,
        "--target-path",
        str(target_path),
    ]
    done = subprocess.run(
        cmd, cwd=DBT_PROJECT_DIR, env={**os.environ, **env}, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:]


def _profile(rows_of, total_of) -> dict[str, tuple]:
    """Rows per mart, and the money total of some, in cents (fakesnow returns sums as floats)."""
    return {
        m: (rows_of(m), round(float(total_of(m, TOTALS[m])) * 100) if m in TOTALS else None)
        for m in [*MARTS, *EVENT_MARTS]
    }


def test_duckdb_and_snowflake_builds_agree(built_warehouse, tmp_path, fakesnow_server, monkeypatch):
    """Every mart, the clickstream's included: both targets read the loader's copies. The DuckDB
    side is the session's shared local build (`built_warehouse`: 600 orders, a clickstream);
    Snowflake loads the same curated and processed zones (read only)."""
    lake_root = built_warehouse.lake_root
    lake = Lake(str(lake_root))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))

    # DuckDB: the local target
    with duckdb.connect(str(built_warehouse.warehouse_path), read_only=True) as db:
        local = _profile(
            lambda m: db.execute(f"select count(*) from marts.{m}").fetchone()[0],  # noqa: S608 -- the project's mart names
            lambda m, c: db.execute(f"select sum({c}) from marts.{m}").fetchone()[0],  # noqa: S608 -- the project's mart and column names
        )

    # Snowflake SQL on fakesnow: the prod target, pointed at the server by env vars
    s = fakesnow_server
    monkeypatch.setenv("PLATFORM_WAREHOUSE_EMULATOR", "fakesnow")
    loader = fakesnow_loader(s, DATABASE, f"file://{lake_root}")
    first = loader.load(lake, COPIES)
    assert all(r.files_added >= 1 and r.rows > 0 for r in first)
    env = {
        "SNOWFLAKE_ACCOUNT": s["account"],
        "SNOWFLAKE_USER": s["user"],
        "SNOWFLAKE_PASSWORD": s["password"],
        "SNOWFLAKE_ROLE": "SYSADMIN",
        "SNOWFLAKE_DATABASE": DATABASE,
        "SNOWFLAKE_WAREHOUSE": "TRANSFORMING",
        "SNOWFLAKE_HOST": s["host"],
        "SNOWFLAKE_PORT": str(s["port"]),
        "SNOWFLAKE_PROTOCOL": s["protocol"],
        "PLATFORM_WAREHOUSE_EMULATOR": "fakesnow",
    }
    _dbt_build("prod", env, tmp_path / "target-snowflake")

    with loader.snowflake.get_connection() as con:
        cur = con.cursor()

        def one(sql):
            cur.execute(sql)
            return cur.fetchone()[0]

        def snowflake_profile():
            return _profile(
                lambda m: one(f"select count(*) from marts.{m}"),  # noqa: S608 -- the project's mart names
                lambda m, c: one(f"select sum({c}) from marts.{m}"),  # noqa: S608 -- the project's mart and column names
            )

        assert snowflake_profile() == local
        assert all(n > 0 for n, _ in local.values())

        # load again (nothing new: files and COPY's load history) and build again
        # (incremental delete+insert and the snapshot's merge on Snowflake SQL)
        assert all(r.unchanged for r in loader.load(lake, COPIES))
        _dbt_build("prod", env, tmp_path / "target-snowflake")
        assert snowflake_profile() == local
        assert one("select count(*) from snapshots.snap_customers") == local["dim_customers"][0]
        assert one("select count(distinct order_id) from marts.fct_orders") == local["fct_orders"][0]
