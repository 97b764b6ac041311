"""The raw-file sensor: a cursor over DMS file keys, paginated listing, idempotent run keys."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from dagster import AssetKey, DagsterInstance, SensorResult, SkipReason, build_sensor_context
from dms_files import product_row, write_dms

from platform_assets.contracts import contract
from platform_assets.definitions import build_definitions
from platform_assets.orchestration.raw_files_sensor import raw_cdc_files_sensor
from platform_assets.processed.apply import apply_pending
from platform_assets.raw.listing import new_files
from platform_assets.resources import LakeResource
from platform_assets.storage.files import write_parquet_atomic


@pytest.fixture(scope="module")
def definitions():
    return build_definitions()


@pytest.fixture
def evaluate(definitions):
    instance = DagsterInstance.ephemeral()

    def _evaluate(lake_root: str, cursor: str | None):
        ctx = build_sensor_context(
            cursor=cursor,
            instance=instance,
            definitions=definitions,
            resources={"lake": LakeResource(root=lake_root)},
        )
        return raw_cdc_files_sensor(ctx)

    yield _evaluate
    instance.dispose()


def test_new_files_request_exactly_the_changed_tables_once(lake, evaluate):
    assert isinstance(evaluate(lake.root, None), SkipReason)
    write_dms(lake, "products", "LOAD00000001", [product_row(1)])
    write_dms(lake, "products", "20261127-080000000", [product_row(1)], ops=["U"])
    first = evaluate(lake.root, None)
    assert isinstance(first, SensorResult)
    (request,) = first.run_requests
    # the table's whole freshness chain in one run: lake zones, warehouse copy, dbt models
    selected = set(request.asset_selection)
    assert {
        AssetKey(["processed", "products"]),
        AssetKey(["curated", "products"]),
        AssetKey(["warehouse", "curated", "products"]),
        AssetKey(["warehouse", "stg_shop__products"]),
        AssetKey(["warehouse", "fct_order_items"]),
    } <= selected
    # the marts that aggregate the facts refresh on their own clock (warehouse/automation.py)
    assert AssetKey(["warehouse", "mart_product_performance"]) not in selected
    assert not {k for k in selected if k.path[-1] in ("orders", "customers", "stg_shop__customers")}
    assert request.partition_key  # the facts are in it: today's partition (cdc_chain.py)
    assert AssetKey(["warehouse", "dbt_docs"]) not in selected
    # dbt tests run with their models; the full reconciliation with Postgres does not
    checks = {(k.asset_key.path[-1], k.name) for k in request.asset_check_keys}
    assert ("stg_shop__products", "unique_stg_shop__products_product_id") in checks
    assert not {name for _, name in checks if name == "matches_postgres"}
    assert "LOAD00000001.parquet" in request.run_key and "20261127-080000000" in request.run_key
    # the same tick again with the new cursor: nothing new
    assert isinstance(evaluate(lake.root, first.cursor), SkipReason)
    # the same tick again with the old cursor: the same run key, which Dagster launches once
    assert evaluate(lake.root, None).run_requests[0].run_key == request.run_key
    write_dms(lake, "products", "20261127-080100000", [product_row(2)], ops=["I"])
    nxt = evaluate(lake.root, first.cursor)
    assert nxt.run_requests[0].run_key == "products:20261127-080100000.parquet..20261127-080100000.parquet"
    assert json.loads(nxt.cursor)["products"] == {
        "load": "LOAD00000001.parquet",
        "cdc": "20261127-080100000.parquet",
    }


def test_files_already_applied_request_nothing_and_move_the_cursor(lake, evaluate):
    write_dms(lake, "products", "20261127-080000000", [product_row(1)], ops=["I"])
    apply_pending(lake, contract("products"))  # e.g. the capture run applied what it wrote
    result = evaluate(lake.root, None)
    assert isinstance(result, SensorResult) and not result.run_requests
    assert json.loads(result.cursor)["products"]["cdc"] == "20261127-080000000.parquet"
    write_dms(lake, "products", "20261127-080100000", [product_row(2)], ops=["I"])
    assert (
        evaluate(lake.root, result.cursor).run_requests[0].run_key.startswith("products:20261127-080100000")
    )


def test_s3_listing_is_paginated_and_keeps_families_apart(s3_lake):
    empty = pa.table({"x": [1]})
    prefix = s3_lake.raw_cdc_prefix("public", "orders")
    names = [f"20261127-0800{i:05d}.parquet" for i in range(25)] + ["LOAD00000001.parquet"]
    for name in names:
        write_parquet_atomic(s3_lake, f"{prefix}/{name}", empty)
    cdc = new_files(s3_lake, "public", "orders", "cdc", "", page_size=4)
    assert cdc == names[:25]
    assert new_files(s3_lake, "public", "orders", "cdc", names[20], page_size=4) == names[21:25]
    assert new_files(s3_lake, "public", "orders", "load", "", page_size=4) == names[25:]
