"""`lakehouse status`: each zone's health on a healthy lake and on a broken one.

Real parts: DMS files applied by the exactly-once apply, the curated refresh, a Dagster
instance with real runs (one check failing), the embedded Postgres's replication slot.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from dagster import AssetCheckResult, DagsterInstance, Definitions, asset, asset_check, materialize
from dms_files import order_row, product_row, write_dms

from platform_assets.cli import main
from platform_assets.contracts import contract
from platform_assets.curated.refresh import refresh_curated
from platform_assets.observability.health import (
    FAIL,
    OK,
    WARN,
    dagster_health,
    lake_health,
    slot_health,
    watermark_time,
    worst,
)
from platform_assets.processed.apply import apply_pending
from platform_assets.storage.delta import open_table

PRODUCTS, ORDERS = contract("products"), contract("orders")
TABLES = {"products": PRODUCTS, "orders": ORDERS}


def _by(found, zone, subject):
    return [h for h in found if h.zone == zone and h.subject == subject]


def _healthy(lake) -> datetime:
    """Both tables loaded, changed, applied and curated; returns the last change's file time."""
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 400)])
    write_dms(lake, "orders", "LOAD00000001", [order_row(i) for i in range(1, 1200)])
    write_dms(
        lake, "orders", "20261127-083000123", [order_row(i, "11.00") for i in range(1, 300)], ops=["U"] * 299
    )
    for c in TABLES.values():
        apply_pending(lake, c)
        refresh_curated(lake, c)
    return datetime(2026, 11, 27, 8, 30, 0, 123000, tzinfo=UTC)


def test_a_healthy_lake_is_ok_and_says_how_far_it_reached(lake):
    last = _healthy(lake)
    found = lake_health(lake, TABLES, now=last + timedelta(minutes=5))
    assert worst(found) == OK, found
    assert [h.state for h in found] == [OK] * len(found)
    assert "2 files, all applied" in _by(found, "raw", "orders")[0].detail
    orders = _by(found, "processed", "orders")[0].detail
    assert "changes applied up to 2026-11-27 08:30" in orders and "5 min ago" in orders
    assert "full load only" in _by(found, "processed", "products")[0].detail
    assert "(up to date)" in _by(found, "curated", "orders")[0].detail
    # the same lake an SLA later: processed is behind the source, a warning, not a failure
    later = lake_health(lake, TABLES, now=last + timedelta(minutes=ORDERS.freshness_sla_minutes + 1))
    assert _by(later, "processed", "orders")[0].state == WARN
    assert worst(later) == WARN


def test_a_broken_lake_fails_naming_each_problem(lake):
    last = _healthy(lake)
    # waiting files (one a day old), a file the apply quarantines, curated left behind
    write_dms(lake, "products", "20261126-080000000", [product_row(1, "1.00")], ops=["U"])
    write_dms(lake, "orders", "20261127-090000000", [order_row(5, "12.00")], ops=["U"])
    apply_pending(lake, ORDERS)  # processed moves on; curated is not refreshed
    folder = lake.fs_path(lake.raw_cdc_prefix(ORDERS.schema, ORDERS.name))
    with lake.filesystem().open_output_stream(f"{folder}/20261127-091000000.parquet") as f:
        f.write(b"not parquet")
    apply_pending(lake, ORDERS)
    found = lake_health(lake, TABLES, now=last + timedelta(hours=2))
    assert worst(found) == FAIL
    products_raw = _by(found, "raw", "products")[0]
    assert products_raw.state == WARN and "1 files waiting" in products_raw.detail
    assert "oldest 26 h old" in products_raw.detail  # a day before the last change, seen 2 h later
    quarantined = [h for h in _by(found, "raw", "orders") if h.state == FAIL]
    assert len(quarantined) == 1 and "1 quarantined" in quarantined[0].detail
    curated = _by(found, "curated", "orders")[0]
    assert curated.state == WARN and "behind" in curated.detail
    # a missing table is a failure, not a skipped line
    gone = lake_health(lake, {"customers": contract("customers")}, now=last)
    assert [h.state for h in _by(gone, "processed", "customers")] == [FAIL]


def test_watermarks_read_back_as_commit_times(lake):
    _healthy(lake)
    from platform_assets.processed.delta import WATERMARK_KEY
    from platform_assets.storage.delta import committed_value

    dt = open_table(lake, "processed", "orders")
    reached = watermark_time(committed_value(lake, dt, WATERMARK_KEY))
    # the last change committed just before its file was written (dms_files.commit_times)
    assert datetime(2026, 11, 27, 8, 29, tzinfo=UTC) < reached <= datetime(2026, 11, 27, 8, 30, 1, tzinfo=UTC)
    assert watermark_time("0" + "0" * 30) is None  # a full load's position has no commit time


@asset
def status_upstream():
    return 1


@asset_check(asset=status_upstream, description="fails on purpose")
def always_fails():
    return AssetCheckResult(passed=False)


@asset
def status_never_built():
    return 2


def test_dagster_health_names_never_built_assets_and_failing_checks():
    defs = Definitions(assets=[status_upstream, status_never_built], asset_checks=[always_fails])
    with DagsterInstance.ephemeral() as instance:
        before = dagster_health(instance, defs.resolve_asset_graph())
        assert before[0].state == WARN and "0 of 2 assets materialized" in before[0].detail
        materialize([status_upstream, always_fails], instance=instance, selection=["status_upstream"])
        after = dagster_health(instance, defs.resolve_asset_graph())
    assert "1 of 2" in after[0].detail and "status_never_built" in after[0].detail
    failing = [h for h in after if h.state == FAIL]
    assert [h.subject for h in failing] == ["status_upstream:always_fails"]


def test_the_slot_reports_its_retained_wal_and_a_missing_slot_says_how_to_recover(pg_dsn):
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        missing = slot_health(conn, "status_test_slot")
        assert missing.state == WARN and "lakehouse cdc full-load" in missing.detail
        conn.execute("SELECT pg_create_logical_replication_slot('status_test_slot', 'pgoutput')")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS status_wal (v text)")
            conn.execute("INSERT INTO status_wal SELECT repeat('x', 1000) FROM generate_series(1, 2000)")
            held = slot_health(conn, "status_test_slot")
        finally:
            conn.execute("SELECT pg_drop_replication_slot('status_test_slot')")
            conn.execute("DROP TABLE IF EXISTS status_wal")
    assert held.state == OK
    assert int(held.detail.split()[1].replace(",", "")) > 2_000_000  # the inserts' WAL, held


@pytest.mark.slow
def test_the_command_exits_0_on_a_healthy_lake_and_1_on_a_broken_one(platform_home, monkeypatch, capsys):
    from warehouse_data import shop_rows

    from platform_assets.contracts import CONTRACTS
    from platform_assets.lake import Lake
    from platform_assets.settings import locations

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.chdir(platform_home)  # no dagster.yaml here: Dagster's part is reported unknown
    lake = Lake(str(locations().lake_root))
    for name, rows in shop_rows(60).items():
        c = CONTRACTS[name]
        write_dms(lake, name, "LOAD00000001", [dict(zip(c.column_names, r, strict=True)) for r in rows])
        apply_pending(lake, c)
        refresh_curated(lake, c)
    assert main(["status", "--no-source"]) == 0
    out = capsys.readouterr().out
    assert "overall: unknown" in out and "no instance: set DAGSTER_HOME" in out
    assert out.count(" ok ") == 3 * len(CONTRACTS)  # raw, processed and curated of every table

    folder = lake.fs_path(lake.raw_cdc_prefix(ORDERS.schema, ORDERS.name))
    with lake.filesystem().open_output_stream(f"{folder}/20261127-091000000.parquet") as f:
        f.write(b"not parquet")
    apply_pending(lake, ORDERS)
    assert main(["status", "--no-source"]) == 1
    out = capsys.readouterr().out
    assert "overall: fail" in out and "1 quarantined: lakehouse quarantine list --table orders" in out
