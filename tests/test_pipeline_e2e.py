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
        return db.execute(f"SELECT count(*) FROM {qualified_model(db, model)}").fetchone()[0]


# configured secrets the runs use; none may appear in what Dagster records
PII_KEY = "e2e-pii-hash-key-never-logged-0123456789abcdef"
WEBHOOK = "https://hooks.example.com/services/T000/B000/e2e-secret-webhook-token"


def _recorded_text(instance) -> str:
    """Everything the instance recorded: every run's events (logs, materializations and their
    metadata, check results), serialized, plus the runs' tags and config."""
    from dagster._serdes import serialize_value

    parts = []
    for run in instance.get_runs():
        parts.append(serialize_value(run))
        parts += [serialize_value(e) for e in instance.all_logs(run.run_id)]
    return "\n".join(parts)


def _scan_for_secrets_and_pii(instance, dsn: str) -> None:
    recorded = _recorded_text(instance)
    assert len(recorded) > 100_000 and "processed/orders" in recorded  # the scan sees the runs
    assert PII_KEY not in recorded and "e2e-secret-webhook-token" not in recorded
    with psycopg.connect(dsn) as conn:
        pii = conn.execute(
            "SELECT email, first_name, last_name, phone FROM customers ORDER BY customer_id LIMIT 300"
        ).fetchall()
    # e-mails, phone numbers and full names: values no run has reason to write by coincidence
    values = {v for email, first, last, phone in pii for v in (email, phone, f"{first} {last}") if v}
    assert len(values) >= 600
    leaked = sorted(v for v in values if v in recorded)
    assert leaked == [], f"PII from Postgres in Dagster's records: {leaked[:5]}"


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
    with DagsterInstance.get() as instance:
        _scan_for_secrets_and_pii(instance, pg_dsn)
