"""The events models build in the warehouse (dbt on DuckDB) and their tests pass.

The lake gets a curated `orders` table (shop rows conformed as the curated zone does, then
copied into the warehouse's `curated` schema by the warehouse loader) and the processed `events`
table from produced clickstream whose purchases reference those orders; `dbt build --select
+mart_conversion_funnel` then builds staging, sessions and the funnel mart, joined to the
orders, and runs their tests.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from deltalake import write_deltalake

from platform_assets.contracts import contract
from platform_assets.curated.conform import conform
from platform_assets.events_lake import ingest
from platform_assets.settings import DBT_PROJECT_DIR
from platform_assets.sources.events.producer import FirehoseFileSink, config_from_ids, produce
from platform_assets.sources.oltp import fake_shop
from platform_assets.warehouse.dbt_sources import EVENTS_SOURCES_YML, render_events_sources

ORDERS = contract("orders")


def _curated_orders(lake, n: int) -> list[int]:
    rng = random.Random(5)
    products = [fake_shop.product(rng, i) for i in range(1, 51)]
    rows = [fake_shop.order_with_lines(rng, oid, oid * 4, oid, 200, products)[0] for oid in range(1, n + 1)]
    table = pa.Table.from_pylist(
        [dict(zip(ORDERS.column_names, r, strict=True)) for r in rows], ORDERS.arrow_schema()
    )
    table = table.append_column("_commit_ts", pa.array([None] * n, pa.timestamp("us", "UTC")))
    write_deltalake(lake.delta_uri("curated", "orders"), conform(table, ORDERS))
    return [r[0] for r in rows]


def test_committed_source_matches_the_contract():
    assert EVENTS_SOURCES_YML.read_text(encoding="utf-8") == render_events_sources()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    from platform_assets.lake import Lake

    tmp = tmp_path_factory.mktemp("wh")
    lake = Lake(str(tmp / "lake"))
    order_ids = _curated_orders(lake, 300)
    cfg = config_from_ids(range(1, 200), range(1, 51), order_ids, seed=9)
    produce(FirehoseFileSink(lake), cfg, rate=0.2, duration=86_400, start=datetime(2026, 3, 1, tzinfo=UTC))
    ingest.catch_up(lake, today=datetime(2026, 3, 3, tzinfo=UTC).date())
    # stg_shop__orders and stg_events__events read the warehouse's copies (curated.orders,
    # events.events), which the warehouse loader fills
    from platform_assets.contracts.events import EVENTS
    from platform_assets.warehouse.load_sql import events_copy
    from platform_assets.warehouse.loader import DuckDBCuratedLoader

    DuckDBCuratedLoader(path=str(tmp / "warehouse.duckdb")).load(lake, [ORDERS, events_copy(EVENTS)])
    env = {
        **os.environ,
        "PLATFORM_LAKE_ROOT": lake.root,
        "PLATFORM_WAREHOUSE_PATH": str(tmp / "warehouse.duckdb"),
    }
    dbt = str(Path(sys.executable).with_name("dbt"))
    out = subprocess.run(
        [
            dbt,
            "build",
            "--select",
            "+mart_conversion_funnel",
            "--indirect-selection",
            "cautious",
            "--target",
            "local",
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(tmp / "target"),
            "--log-path",
            str(tmp / "logs"),
            "--no-use-colors",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return out, tmp / "warehouse.duckdb", lake


@pytest.mark.slow  # dbt's start-up alone takes several seconds
def test_funnel_mart_builds_and_its_tests_pass(warehouse):
    out, path, lake = warehouse
    assert out.returncode == 0, out.stdout[-4000:]
    assert "ERROR=0" in out.stdout and "SKIP=0" in out.stdout
    for test in (
        "unique_stg_events__events_event_id",
        "unique_fct_sessions_session_id",
        "accepted_values_mart_conversion_funnel_is_funnel_consistent",
        "unique_combination_mart_conversion_funnel",
    ):
        assert test in out.stdout, test

    from platform_assets.events_lake.table import open_table

    events = open_table(lake).to_pyarrow_table(columns=["session_id", "event_type"])
    with duckdb.connect(str(path), read_only=True) as db:
        sessions, purchases, matched = db.execute(
            "SELECT sum(sessions), sum(purchase_sessions), sum(orders_matched) "
            "FROM marts.mart_conversion_funnel"
        ).fetchall()[0]
    with duckdb.connect() as db:
        db.register("ev", events)
        (want_sessions,) = db.execute("SELECT count(DISTINCT session_id) FROM ev").fetchall()[0]
    assert sessions == want_sessions
    assert 0 < matched <= purchases < sessions
