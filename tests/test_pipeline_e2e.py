"""The whole platform end to end on real parts: Postgres, DMS files, Delta, dbt on DuckDB.

Runs the main job in process (as `make demo` does), checks every zone against Postgres, runs
it again (nothing changes), then a CDC workload and a third run (the changes reach fct_orders).
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
        return db.execute(f"SELECT count(*) FROM {qualified_model(db, model)}").fetchone()[0]


def test_pipeline_end_to_end_idempotent_and_follows_cdc(platform_home, pg_dsn, monkeypatch):
    from platform_assets.demo import run_pipeline, summary

    monkeypatch.setenv("PLATFORM_OLTP_DSN", pg_dsn)
    with psycopg.connect(pg_dsn) as conn:
        seed(conn, orders=1500, seed=3)
    lake = Lake(str(locations().lake_root))

    run_pipeline()
    with psycopg.connect(pg_dsn) as conn:
        for c in CONTRACTS.values():
            assert reconcile(conn, lake, c).matches, c.name
        orders = row_counts(conn)["orders"]
    assert _warehouse_count("fct_orders") == orders
    assert "fct_orders" in summary(pg_dsn)

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
