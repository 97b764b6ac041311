"""The CDC apply on hand-written DMS files: order, idempotence, late files, quarantine."""

from __future__ import annotations

import os
import shutil

import pytest
from dms_files import T0, product_row, write_dms

from platform_assets.contracts import contract
from platform_assets.processed.apply import apply_pending
from platform_assets.raw.files import list_quarantined
from platform_assets.raw.read import SchemaDriftError
from platform_assets.storage.delta import open_table

PRODUCTS = contract("products")


def current(lake) -> dict[int, dict]:
    dt = open_table(lake, "processed", "products")
    rows = dt.to_pyarrow_table().to_pylist()
    return {r["product_id"]: r for r in rows}


def test_load_then_cdc_last_change_wins_and_rerun_changes_nothing(lake):
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 6)])
    write_dms(
        lake,
        "products",
        "20261127-080000000",
        [
            product_row(1, "1.00"),
            product_row(1, "2.00"),
            product_row(2),
            product_row(6),
            product_row(6, "7.00"),
            product_row(7),
            product_row(7),
        ],
        ops=["U", "U", "D", "I", "U", "I", "D"],
    )
    first = apply_pending(lake, PRODUCTS)
    rows = current(lake)
    assert sorted(rows) == [1, 3, 4, 5, 6]  # 2 deleted; 7 inserted and deleted in one batch
    assert str(rows[1]["price"]) == "2.00" and str(rows[6]["price"]) == "7.00"
    version = first.delta_version
    again = apply_pending(lake, PRODUCTS)
    assert again.files_applied == [] and again.delta_version == version


def test_same_file_delivered_twice_changes_nothing(lake):
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 4)])
    seq = ["0" * 34 + "1"]
    path = write_dms(
        lake, "products", "20261127-080000000", [product_row(1, "5.00")], ops=["U"], change_seqs=seq
    )
    apply_pending(lake, PRODUCTS)
    before = open_table(lake, "processed", "products").version()
    # the same changes arrive again under another name (a redelivery) and the same name again
    shutil.copy(path, path.replace("080000000", "080000001"))
    write_dms(lake, "products", "20261127-080000000", [product_row(1, "5.00")], ops=["U"], change_seqs=seq)
    result = apply_pending(lake, PRODUCTS)
    assert result.recomputed_keys == 1
    assert open_table(lake, "processed", "products").version() == before
    assert str(current(lake)[1]["price"]) == "5.00"


def test_late_file_is_applied_in_source_order(lake):
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 4)])
    # source order: 08:00 updates 1 and inserts 9; 08:01 deletes 9 and updates 2.
    write_dms(
        lake, "products", "20261127-080100000", [product_row(9), product_row(2, "3.00")], ops=["D", "U"]
    )
    apply_pending(lake, PRODUCTS)  # 08:01 arrives first
    write_dms(
        lake,
        "products",
        "20261127-080000000",
        [product_row(1, "4.00"), product_row(9), product_row(2, "1.00")],
        ops=["U", "I", "U"],
    )
    result = apply_pending(lake, PRODUCTS)  # 08:00 arrives late
    rows = current(lake)
    assert 9 not in rows  # the later delete is not undone by the older insert
    assert str(rows[2]["price"]) == "3.00"  # the later update wins
    assert str(rows[1]["price"]) == "4.00"  # the late file's own change lands
    assert result.recomputed_keys == 3


def test_replaying_the_raw_zone_reproduces_the_table(lake, tmp_path):
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 50)])
    for minute in range(5):
        rows = [product_row(i, f"{minute + 1}.{i:02d}") for i in range(minute, 60, 7)]
        write_dms(
            lake,
            "products",
            f"20261127-08{minute:02d}00000",
            rows,
            ops=["U" if i < 50 else "I" for i in range(minute, 60, 7)],
        )
        apply_pending(lake, PRODUCTS)
    before = current(lake)
    shutil.rmtree(lake.uri("processed"))
    apply_pending(lake, PRODUCTS)
    assert current(lake) == before


def test_csv_files_with_header_are_applied(lake):
    write_dms(lake, "products", "LOAD00000001", [product_row(1, name='A, "quoted" name ✓')], fmt="csv")
    write_dms(lake, "products", "20261127-080000000", [product_row(2, "12.50")], ops=["I"], fmt="csv")
    apply_pending(lake, PRODUCTS)
    rows = current(lake)
    assert rows[1]["name"] == 'A, "quoted" name ✓'
    assert str(rows[2]["price"]) == "12.50" and rows[2]["active"] is True


def test_malformed_file_goes_to_quarantine_and_the_rest_is_applied(lake):
    write_dms(lake, "products", "LOAD00000001", [product_row(1)])
    bad = write_dms(lake, "products", "20261127-080000000", [product_row(1, "2.00")], ops=["X"])
    write_dms(lake, "products", "20261127-080100000", [product_row(2)], ops=["I"])
    result = apply_pending(lake, PRODUCTS)
    assert list(result.files_quarantined) == ["20261127-080000000.parquet"]
    assert "Op" in result.files_quarantined["20261127-080000000.parquet"]
    assert not os.path.exists(bad)  # moved, not copied
    assert list_quarantined(lake, "public", "products") == ["20261127-080000000.parquet"]
    assert sorted(current(lake)) == [1, 2]


def test_new_column_evolves_and_dropped_key_stops_the_table(lake):
    import pyarrow as pa
    import pyarrow.parquet as pq

    write_dms(lake, "products", "LOAD00000001", [product_row(1)])
    apply_pending(lake, PRODUCTS)
    folder = lake.raw_cdc_prefix("public", "products")
    row = {"Op": "U", "_commit_ts": T0, **product_row(1, "3.00"), "colour": "blue"}
    pq.write_table(pa.Table.from_pylist([row]), f"{folder}/20261127-080000000.parquet")
    result = apply_pending(lake, PRODUCTS)
    assert result.new_columns == ["colour"]
    assert current(lake)[1]["colour"] == "blue"
    no_key = {k: v for k, v in product_row(5).items() if k != "product_id"}
    pq.write_table(
        pa.Table.from_pylist([{"Op": "I", "_commit_ts": T0, **no_key}]),
        f"{folder}/20261127-080100000.parquet",
    )
    with pytest.raises(SchemaDriftError, match="key column 'product_id' is missing"):
        apply_pending(lake, PRODUCTS)


def test_new_column_evolves_a_table_of_many_partitions(lake):
    """A new nullable source column on a realistic table: NOT NULL key and partition columns,
    partitions holding many more rows than the batch touches. Earlier files keep applying."""
    import pyarrow as pa

    keys = [k * 331 for k in range(1, 1201)]  # ~400k keys: 8 partitions of 50k
    write_dms(lake, "products", "LOAD00000001", [product_row(k) for k in keys])
    apply_pending(lake, PRODUCTS)
    touched = keys[::40]
    write_dms(
        lake,
        "products",
        "20261127-080000000",
        [product_row(k, "3.00") for k in touched],
        ops=["U"] * len(touched),
        extra={"colour": pa.array([f"c{k}" for k in touched])},
    )
    write_dms(
        lake, "products", "20261127-080100000", [product_row(k, "4.00") for k in keys[1:5]], ops=["U"] * 4
    )  # a later file from before the column reached the task
    for _ in range(2):
        result = apply_pending(lake, PRODUCTS)
    rows = current(lake)
    assert len(rows) == len(keys)
    assert {rows[k]["colour"] for k in touched[1:]} == {f"c{k}" for k in touched[1:]}
    assert rows[keys[0]]["colour"] == f"c{keys[0]}" and str(rows[keys[0]]["price"]) == "3.00"
    assert {rows[k]["colour"] for k in keys[1:5]} == {None}  # its files lack the column
    assert sum(r["colour"] is not None for r in rows.values()) == len(touched)
    assert result.files_applied == []


def test_apply_on_s3(s3_lake):
    """The same apply against S3 (moto's server): watermark, log and pruning work there too."""
    write_dms(s3_lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 4)])
    write_dms(
        s3_lake,
        "products",
        "20261127-080000000",
        [product_row(2, "8.00"), product_row(3)],
        ops=["U", "D"],
        fmt="csv",
    )
    apply_pending(s3_lake, PRODUCTS)
    assert apply_pending(s3_lake, PRODUCTS).files_applied == []
    rows = current(s3_lake)
    assert sorted(rows) == [1, 2] and str(rows[2]["price"]) == "8.00"
