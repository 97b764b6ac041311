"""The capture sensor against a real slot: which run it asks for, and when it holds back."""

from __future__ import annotations

import psycopg
import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    RunRequest,
    SkipReason,
    build_sensor_context,
)

from platform_assets.contracts import CONTRACTS
from platform_assets.definitions import build_definitions
from platform_assets.orchestration.capture_sensor import cdc_capture_sensor
from platform_assets.orchestration.run_tags import TRIGGER_TAG
from platform_assets.raw.assets import PUBLICATION, SLOT
from platform_assets.raw.cdc_capture import ensure_replication
from platform_assets.resources import LakeResource, OltpResource
from platform_assets.sources.oltp.seed import seed
from platform_assets.warehouse.keys import curated_copy_key


@pytest.fixture
def conn(pg_dsn):
    with psycopg.connect(pg_dsn, autocommit=True) as c:
        seed(c, orders=50)
        ensure_replication(c, SLOT, PUBLICATION)
        yield c


def _resources(pg_dsn, lake_root) -> dict:
    return {"oltp": OltpResource(data_dir="-", dsn=pg_dsn), "lake": LakeResource(root=str(lake_root))}


def test_changes_request_one_run_from_capture_to_the_facts_of_the_changed_tables(conn, pg_dsn, tmp_path):
    instance = DagsterInstance.ephemeral()
    ctx = build_sensor_context(
        instance=instance, definitions=build_definitions(), resources=_resources(pg_dsn, tmp_path)
    )
    assert isinstance(cdc_capture_sensor(ctx), SkipReason)  # nothing since the slot was made

    conn.execute("UPDATE orders SET status = 'shipped' WHERE order_id = 7")
    request = cdc_capture_sensor(ctx)
    assert isinstance(request, RunRequest)
    selected = set(request.asset_selection)
    # the capture writes every table's changes; the rest of the run is the changed table's
    assert {AssetKey(["raw", name]) for name in CONTRACTS} <= selected
    assert {
        AssetKey(["processed", "orders"]),
        AssetKey(["curated", "orders"]),
        curated_copy_key("orders"),
        AssetKey(["warehouse", "fct_orders"]),
    } <= selected
    assert AssetKey(["processed", "products"]) not in selected
    assert request.tags[TRIGGER_TAG] == "cdc" and request.partition_key
    assert not {c for c in request.asset_check_keys if c.name == "matches_postgres"}

    # while a capture run waits to start, more changes request nothing: it will take them
    instance.add_run(
        DagsterRun(
            job_name="__ASSET_JOB",
            run_id="queued-capture-run",
            status=DagsterRunStatus.NOT_STARTED,
            tags={TRIGGER_TAG: "cdc"},
        )
    )
    conn.execute("UPDATE customers SET email = 'x@example.com' WHERE customer_id = 1")
    held = cdc_capture_sensor(ctx)
    assert isinstance(held, SkipReason) and "queued-capture-run" in held.skip_message
    instance.dispose()


def test_a_slot_that_fed_the_lake_and_is_gone_names_the_recovery(conn, pg_dsn, tmp_path):
    from platform_assets.lake import Lake
    from platform_assets.raw.cdc_capture.slot_record import RESYNC_COMMAND, ensure_recorded_replication

    lake = Lake(str(tmp_path / "lake"))
    ensure_recorded_replication(conn, lake, SLOT, PUBLICATION)  # the lake records its slot
    conn.execute("SELECT pg_drop_replication_slot(%s)", (SLOT,))
    with DagsterInstance.ephemeral() as instance:
        ctx = build_sensor_context(
            instance=instance, definitions=build_definitions(), resources=_resources(pg_dsn, lake.root)
        )
        lost = cdc_capture_sensor(ctx)
        assert isinstance(lost, SkipReason) and RESYNC_COMMAND in lost.skip_message
        fresh = cdc_capture_sensor(  # a lake that never had the slot: a first run is still to come
            build_sensor_context(
                instance=instance,
                definitions=build_definitions(),
                resources=_resources(pg_dsn, tmp_path / "other"),
            )
        )
        assert isinstance(fresh, SkipReason) and "materialize the raw assets once" in fresh.skip_message
