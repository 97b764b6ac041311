"""The raw-file sensor: a cursor over DMS file keys, paginated listing, idempotent run keys."""

from __future__ import annotations

import json

import pyarrow as pa
from dagster import AssetKey, SensorResult, SkipReason, build_sensor_context
from dms_files import product_row, write_dms

from platform_assets.processed.sensors import raw_cdc_files_sensor
from platform_assets.raw.files import write_parquet_atomic
from platform_assets.raw.listing import new_files
from platform_assets.resources import LakeResource


def evaluate(lake_root: str, cursor: str | None):
    ctx = build_sensor_context(cursor=cursor, resources={"lake": LakeResource(root=lake_root)})
    return raw_cdc_files_sensor(ctx)


def test_new_files_request_exactly_the_changed_tables_once(lake):
    assert isinstance(evaluate(lake.root, None), SkipReason)
    write_dms(lake, "products", "LOAD00000001", [product_row(1)])
    write_dms(lake, "products", "20261127-080000000", [product_row(1)], ops=["U"])
    first = evaluate(lake.root, None)
    assert isinstance(first, SensorResult)
    (request,) = first.run_requests
    assert request.asset_selection == [AssetKey(["processed", "products"])]
    assert "LOAD00000001.parquet" in request.run_key and "20261127-080000000" in request.run_key
    # the same tick again with the new cursor: nothing new
    assert isinstance(evaluate(lake.root, first.cursor), SkipReason)
    # the same tick again with the old cursor: the same run key, which Dagster launches once
    assert evaluate(lake.root, None).run_requests[0].run_key == request.run_key
    write_dms(lake, "products", "20261127-080100000", [product_row(2)], ops=["I"])
    nxt = evaluate(lake.root, first.cursor)
    assert nxt.run_requests[0].run_key == "products:20261127-080100000.parquet.." \
                                           "20261127-080100000.parquet"
    assert json.loads(nxt.cursor)["products"] == {"load": "LOAD00000001.parquet",
                                                  "cdc": "20261127-080100000.parquet"}


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
