"""The CDC stream (`streaming/`): one long-lived run carrying batches from the pgoutput slot to
the facts, against real parts: embedded Postgres, delta-rs, the DuckDB warehouse shared by the
suite (copied), dbt in process. And the capture sensor holding back while a stream runs."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime

import duckdb
import psycopg
import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    SkipReason,
    build_sensor_context,
)

from platform_assets.contracts import CONTRACTS
from platform_assets.definitions import build_definitions
from platform_assets.lake import Lake
from platform_assets.orchestration.capture_sensor import cdc_capture_sensor
from platform_assets.orchestration.run_tags import TRIGGER_TAG
from platform_assets.processed.reconcile import reconcile
from platform_assets.raw.assets import PUBLICATION, SLOT
from platform_assets.raw.cdc_capture import ensure_replication
from platform_assets.resources import LakeResource, OltpResource
from platform_assets.sources.oltp import fake_shop
from platform_assets.sources.oltp.schema import ensure_schema
from platform_assets.sources.oltp.seed import copy_rows, seed
from platform_assets.storage.delta import open_table
from platform_assets.streaming.names import STREAM_JOB, STREAM_TRIGGER


def _stream(home, pg_dsn, instance, **config):
    """One stream run in process over `home`: its materializations, by asset key."""
    from platform_assets.processed.compute.engine import ProcessedEngine
    from platform_assets.settings import Locations
    from platform_assets.streaming.job import cdc_stream
    from platform_assets.warehouse.loader import DuckDBCuratedLoader
    from platform_assets.warehouse.resources import INDIRECT_SELECTION, dbt_resource

    loc = Locations(home)
    dbt = dbt_resource("local").model_copy(update={"env": {**loc.dbt_env(), **INDIRECT_SELECTION}})
    result = cdc_stream.execute_in_process(
        run_config={"ops": {"stream_changes": {"config": {"seconds": 0, "poll_interval_s": 0.1, **config}}}},
        instance=instance,
        resources={
            "lake": LakeResource(root=str(loc.lake_root)),
            "oltp": OltpResource(data_dir="-", dsn=pg_dsn),
            "warehouse_loader": DuckDBCuratedLoader(path=str(loc.warehouse_path)),
            "dbt": dbt,
            "processed_engine": ProcessedEngine(),
        },
    )
    assert result.success
    materialized: dict[AssetKey, list] = {}
    for event in result.get_asset_materialization_events():
        m = event.step_materialization_data.materialization
        materialized.setdefault(m.asset_key, []).append(m)
    return materialized


def _facts(warehouse) -> dict[int, tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as db:
        schema = db.execute(
            "select table_schema from information_schema.tables where table_name = 'fct_orders'"
        ).fetchone()[0]
        rows = db.execute(f'select order_id, order_status, updated_at from "{schema}".fct_orders').fetchall()  # noqa: S608 -- a schema name read from the catalog
    return {r[0]: r[1:] for r in rows}


def _differing(pg_dsn: str, lake: Lake) -> dict[str, list]:
    """Tables whose processed rows differ from Postgres's, with a sample of keys."""
    with psycopg.connect(pg_dsn) as conn:  # reconcile reads through a server-side cursor
        checks = {c.name: reconcile(conn, lake, c) for c in CONTRACTS.values()}
    return {name: r.differing_keys for name, r in checks.items() if not r.matches}


def _versions(lake: Lake) -> dict[str, int]:
    return {f"{z}.{t}": open_table(lake, z, t).version() for t in CONTRACTS for z in ("processed", "curated")}


def _changes(conn: psycopg.Connection) -> dict:
    """Five commits across the tables: 300 order updates, 40 product price changes, three
    orders deleted with their lines and payments, a changed order key, ten new orders."""
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    with conn.transaction():
        conn.execute("UPDATE orders SET status = 'shipped', updated_at = %s WHERE order_id <= 300", (now,))
    with conn.transaction():
        conn.execute("UPDATE products SET price = price + 1, updated_at = %s WHERE product_id <= 40", (now,))
    gone = [11, 22, 33]
    with conn.transaction():
        for table in ("payments", "order_items", "orders"):
            conn.execute(f"DELETE FROM {table} WHERE order_id = ANY(%s)", (gone,))  # noqa: S608 -- fixed names
    with conn.transaction():  # the order without lines or payment: its key alone changes
        conn.execute("UPDATE orders SET order_id = 9001 WHERE order_id = 601")
    rng = random.Random(5)
    products = [fake_shop.product(rng, i) for i in range(1, 51)]
    next_item = conn.execute("SELECT max(order_item_id) + 1 FROM order_items").fetchone()[0]
    with conn.transaction():
        for oid in range(700, 710):
            order, items, payment = fake_shop.order_with_lines(rng, oid, next_item, oid, 120, products)
            next_item += len(items)
            copy_rows(conn, CONTRACTS["orders"], [order])
            copy_rows(conn, CONTRACTS["order_items"], items)
            copy_rows(conn, CONTRACTS["payments"], [payment])
    return {"gone": gone, "rekeyed": (601, 9001), "new": list(range(700, 710))}


@pytest.mark.slow
def test_a_stream_carries_batches_to_the_facts_exactly_once(built_warehouse, pg_dsn, tmp_path, monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(built_warehouse.home, home)
    monkeypatch.setenv("PLATFORM_HOME", str(home))
    lake = Lake(str(home / ".lake"))
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        ensure_schema(conn)
        for name, rows in built_warehouse.rows.items():  # the shop the shared warehouse holds
            copy_rows(conn, CONTRACTS[name], rows)
        ensure_replication(conn, SLOT, PUBLICATION)
        with DagsterInstance.ephemeral() as instance:
            # a first stream catches up: full load, processed, curated, warehouse, facts
            first = _stream(home, pg_dsn, instance)
            assert AssetKey(["processed", "orders"]) in first
            assert _differing(pg_dsn, lake) == {}

            changes = _changes(conn)
            batches = _stream(home, pg_dsn, instance, max_changes=150)
            processed = batches[AssetKey(["processed", "orders"])]
            # several lake batches and warehouse rounds, each timed per stage on what it reports
            assert len({m.metadata["stream_batch"].value for m in processed}) >= 2
            assert all(m.metadata["apply_s"].value > 0 for m in processed)
            facts = batches[AssetKey(["warehouse", "fct_orders"])]
            assert facts and all(m.partition and m.metadata["dbt_s"].value > 0 for m in facts)
            assert _differing(pg_dsn, lake) == {}
            for c in CONTRACTS.values():
                processed_keys = open_table(lake, "processed", c.name).to_pyarrow_table(columns=[c.key])
                curated_keys = open_table(lake, "curated", c.name).to_pyarrow_table(columns=[c.key])
                assert sorted(processed_keys[c.key].to_pylist()) == sorted(curated_keys[c.key].to_pylist())

            fct = _facts(home / ".platform" / "warehouse.duckdb")
            source = dict(conn.execute("SELECT order_id, status FROM orders").fetchall())
            assert {k: v[0] for k, v in fct.items()} == source
            assert not set(changes["gone"]) & set(fct)
            assert changes["rekeyed"][0] not in fct and changes["rekeyed"][1] in fct
            assert set(changes["new"]) <= set(fct)
            assert all(fct[i][0] == "shipped" for i in range(1, 301) if i not in changes["gone"])

            # the warehouse file is free once the stream ended (dbt in process closes it)
            warehouse = str(home / ".platform" / "warehouse.duckdb")
            free = subprocess.run(
                [sys.executable, "-c", f"import duckdb; duckdb.connect({warehouse!r}).close()"],
                capture_output=True,
                text=True,
            )
            assert free.returncode == 0, free.stderr

            # run again: nothing is captured, applied, curated or loaded; the facts stay
            versions = _versions(lake)
            again = _stream(home, pg_dsn, instance)
            assert not {k for k in again if k.path[0] in ("raw", "processed", "curated")}
            assert not {k for k in again if k.path[:2] == ["warehouse", "curated"]}
            assert _versions(lake) == versions
            assert _facts(home / ".platform" / "warehouse.duckdb") == fct


def _a_stream_runs_in(instance) -> None:
    instance.add_run(
        DagsterRun(
            job_name=STREAM_JOB,
            run_id="the-stream-run",
            status=DagsterRunStatus.STARTED,
            tags={TRIGGER_TAG: STREAM_TRIGGER},
        )
    )


def test_the_capture_sensor_holds_back_while_a_stream_runs(pg_dsn, tmp_path):
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        seed(conn, orders=50)
        ensure_replication(conn, SLOT, PUBLICATION)
        conn.execute("UPDATE orders SET status = 'shipped' WHERE order_id = 7")
        with DagsterInstance.ephemeral() as instance:
            ctx = build_sensor_context(
                instance=instance,
                definitions=build_definitions(),
                resources={
                    "oltp": OltpResource(data_dir="-", dsn=pg_dsn),
                    "lake": LakeResource(root=str(tmp_path / "lake")),
                },
            )
            _a_stream_runs_in(instance)
            held = cdc_capture_sensor(ctx)
            assert isinstance(held, SkipReason) and "the-stream-run" in held.skip_message


def test_the_raw_file_sensor_holds_back_while_a_stream_applies_what_it_writes(tmp_path):
    from dms_files import product_row, write_dms

    from platform_assets.orchestration.raw_files_sensor import raw_cdc_files_sensor

    lake = Lake(str(tmp_path / "lake"))
    write_dms(lake, "products", "LOAD00000001", [product_row(1)])  # written, not yet applied
    with DagsterInstance.ephemeral() as instance:
        _a_stream_runs_in(instance)
        ctx = build_sensor_context(
            instance=instance,
            definitions=build_definitions(),
            resources={"lake": LakeResource(root=lake.root)},
        )
        held = raw_cdc_files_sensor(ctx)
        assert isinstance(held, SkipReason) and "the-stream-run" in held.skip_message


def test_the_stream_stops_between_batches_when_terminated_or_interrupted():
    import os
    import signal
    from types import SimpleNamespace

    from dagster._utils.interrupts import capture_interrupts

    from platform_assets.streaming.job import _Stop

    with DagsterInstance.ephemeral() as instance:
        for run_id, status in [
            ("running", DagsterRunStatus.STARTED),
            ("terminated", DagsterRunStatus.CANCELING),
        ]:
            instance.add_run(DagsterRun(job_name=STREAM_JOB, run_id=run_id, status=status))
        running = _Stop(SimpleNamespace(instance=instance, run_id="running"))
        assert not running.requested()
        terminated = _Stop(SimpleNamespace(instance=instance, run_id="terminated"))
        assert terminated.requested() and terminated.reason == "run terminated"
        with capture_interrupts():  # as in the op: the signal is held, not raised mid-batch
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            assert running.requested() and running.reason == "interrupted"
