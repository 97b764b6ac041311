"""The curated zone's boundary check: rows and schema against processed, in a Dagster run."""

from __future__ import annotations

import pyarrow as pa
from dagster import AssetKey, materialize
from deltalake import write_deltalake
from dms_files import order_row, write_dms

from platform_assets.contracts import contract
from platform_assets.curated.assets import build_curated_asset
from platform_assets.curated.checks import build_curated_check, schema_differences
from platform_assets.processed.apply import apply_pending
from platform_assets.resources import LakeResource
from platform_assets.storage.delta import open_table

ORDERS = contract("orders")


def _run(lake):
    result = materialize(
        [build_curated_asset(ORDERS), build_curated_check(ORDERS)],
        resources={"lake": LakeResource(root=lake.root)},
        raise_on_error=False,
    )
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.asset_key == AssetKey(["curated", "orders"])
    return evaluation


def test_curated_passes_twice_and_stays_passing_while_processed_moves_on(lake):
    write_dms(lake, "orders", "LOAD00000001", [order_row(i) for i in range(1, 1500)])
    write_dms(lake, "orders", "20261127-083000123", [order_row(i) for i in range(1, 200)], ops=["D"] * 199)
    apply_pending(lake, ORDERS)
    first = _run(lake)
    assert first.passed, first.metadata
    assert first.metadata["curated_rows"].value == 1300  # the deletes crossed too
    assert _run(lake).passed  # a second run: unchanged, still whole
    # processed moves on before the next refresh: curated is compared at the version it read
    new = [order_row(i) for i in range(2000, 2100)]
    write_dms(lake, "orders", "20261127-090000000", new, ops=["I"] * 100)
    apply_pending(lake, ORDERS)
    direct = build_curated_check(ORDERS)(lake=LakeResource(root=lake.root))
    assert direct.passed and direct.metadata["curated_rows"].value == 1300


def test_lost_rows_and_a_reshaped_table_fail_naming_what_differs(lake):
    write_dms(lake, "orders", "LOAD00000001", [order_row(i) for i in range(1, 1500)])
    apply_pending(lake, ORDERS)
    assert _run(lake).passed
    curated = open_table(lake, "curated", "orders")
    curated.delete("order_id <= 10")  # rows lost on the way, no error anywhere else
    lost = build_curated_check(ORDERS)(lake=LakeResource(root=lake.root))
    assert not lost.passed
    assert (lost.metadata["curated_rows"].value, lost.metadata["processed_rows"].value) == (1489, 1499)

    extra = curated.to_pyarrow_table().slice(0, 1)
    extra = extra.append_column("note_copy", pa.array(["x"]))
    write_deltalake(curated.table_uri, extra, mode="append", schema_mode="merge")
    reshaped = build_curated_check(ORDERS)(lake=LakeResource(root=lake.root))
    assert not reshaped.passed
    assert "unexpected: note_copy" in reshaped.metadata["schema_differences"].value


def test_schema_differences_name_each_column():
    expected = pa.schema([("a", pa.int64()), ("b", pa.string())])
    assert schema_differences(expected, expected) == []
    assert schema_differences(pa.schema([("b", pa.string()), ("a", pa.int64())]), expected) == [
        "column order ['b', 'a'], contract says ['a', 'b']"
    ]
    assert schema_differences(pa.schema([("a", pa.int32())]), expected) == [
        "missing: b",
        "a: int32, contract says int64",
    ]
