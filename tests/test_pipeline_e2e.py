"""The whole platform end to end on real parts: Postgres, DMS files, Delta, dbt on DuckDB.

Runs the main job in process (as `make demo` does), checks every zone against Postgres, runs
it again (nothing changes), then a CDC workload and a third run (the changes reach fct_orders).
Last, it scans everything the Dagster instance recorded of the three runs (logs, metadata,
tags) for the configured secrets and for PII values from Postgres.
"""

from __future__ import annotations

import duckdb
import psycopg
import pytest

from platform_assets.contracts import CONTRACTS
from platform_assets.demo import qualified_model
from platform_assets.lake import Lake
from platform_assets.processed.reconcile import reconcile
from platform_assets.settings import locations
from platform_assets.sources.oltp.schema import row_counts
from platform_assets.sources.oltp.seed import seed
from platform_assets.sources.oltp.workload import run_workload
from platform_assets.storage.delta import open_table

pytestmark = pytest.mark.slow


def _versions(lake: Lake) -> dict[str, int]:
    return {
        f"{zone}/{name}": open_table(lake, zone, name).version()
        for zone in ("processed", "curated")
        for name in CONTRACTS
    }


def _warehouse_count(model: str) -> int:
    with duckdb.connect(str(locations().warehouse_path), read_only=True) as db:
        return db.execute(f"SELECT count(*) FROM {qualified_model(db, model)}").fetchone()[0]  # noqa: S608 -- qualified_model() quotes with sql_ident()


# configured secrets the runs use; none may appear in what Dagster records
PII_KEY = "e2e-pii-hash-key-never-logged-0123456789abcdef"
WEBHOOK = "https://hooks.example.com/services/T000/B000/e2e-secret-webhook-token"


def _scan_for_secrets_and_pii(instance, dsn: str) -> None:
    """The scan `make demo` runs (observability/leak_scan.py) on the three runs' records."""
    from platform_assets.observability.leak_scan import configured_secrets, instance_texts, pii_values, scan

    with psycopg.connect(dsn) as conn:
        needles = configured_secrets(locations().home) + pii_values(conn)
    assert {n.what for n in needles} >= {
        "variable PLATFORM_PII_HASH_KEY",
        "variable PLATFORM_ALERT_WEBHOOK_URL",
    }
    report = scan(instance_texts(instance), needles)
    assert report.scanned_chars > 100_000 and report.places >= 6  # the scan sees the runs
    assert report.pii_values >= 600  # e-mails, phones, addresses of the 300 customers
    assert report.clean, report.summary()


def _assert_fact_partitions_materialized(dsn: str) -> None:
    """The run recorded every day from the first to the last order as a materialized partition
    of the facts (the UI shows them filled), not one unpartitioned materialization."""
    from datetime import timedelta

    from dagster import AssetKey, DagsterInstance

    with psycopg.connect(dsn) as conn:
        first, last = conn.execute(
            "SELECT min((order_ts AT TIME ZONE 'UTC')::date), max((order_ts AT TIME ZONE 'UTC')::date) "
            "FROM orders"
        ).fetchone()
    days = {(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)}
    with DagsterInstance.get() as instance:
        for fact in ("fct_orders", "fct_order_items", "fct_payments"):
            assert instance.get_materialized_partitions(AssetKey(["warehouse", fact])) == days, fact


def test_pipeline_end_to_end_idempotent_and_follows_cdc(platform_home, pg_dsn, monkeypatch):
    from dagster import DagsterInstance

    from platform_assets.demo import run_pipeline, summary

    monkeypatch.setenv("PLATFORM_OLTP_DSN", pg_dsn)
    monkeypatch.setenv("DAGSTER_HOME", str(platform_home))  # the runs are recorded there, scanned last
    monkeypatch.setenv("PLATFORM_PII_HASH_KEY", PII_KEY)
    monkeypatch.setenv("PLATFORM_ALERT_WEBHOOK_URL", WEBHOOK)
    with psycopg.connect(pg_dsn) as conn:
        seed(conn, orders=1500, seed=3)
    lake = Lake(str(locations().lake_root))

    run_pipeline()
    with psycopg.connect(pg_dsn) as conn:
        for c in CONTRACTS.values():
            assert reconcile(conn, lake, c).matches, c.name
        orders = row_counts(conn)["orders"]
    assert _warehouse_count("fct_orders") == orders
    text = summary(pg_dsn)
    assert "fct_orders" in text and "still running:          nothing the demo started" in text

    _assert_fact_partitions_materialized(pg_dsn)

    before = _versions(lake)
    run_pipeline()  # a second run changes no row and writes no new Delta version
    assert _versions(lake) == before
    assert _warehouse_count("fct_orders") == orders

    with psycopg.connect(pg_dsn) as conn:
        run_workload(conn, 200, seed=11)
        orders = row_counts(conn)["orders"]
    run_pipeline()
    with psycopg.connect(pg_dsn) as conn:
        for c in CONTRACTS.values():
            r = reconcile(conn, lake, c)
            assert r.matches, (c.name, r)
    assert _warehouse_count("fct_orders") == orders
    with DagsterInstance.get() as instance:
        _scan_for_secrets_and_pii(instance, pg_dsn)
