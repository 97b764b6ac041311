"""Every input a DMS task writes is read (Parquet, CSV, gzipped CSV), everything else in a
table's folder is reported, and one type rule holds for every file."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pytest
from dagster import AssetKey, DagsterInstance, materialize
from dms_files import product_row, write_dms

from platform_assets.contracts import contract
from platform_assets.processed.apply import apply_pending
from platform_assets.processed.assets import processed_assets
from platform_assets.processed.compute.engine import ProcessedEngine
from platform_assets.raw.files import list_quarantined
from platform_assets.raw.read import SchemaDriftError
from platform_assets.resources import LakeResource
from platform_assets.storage.delta import open_table

PRODUCTS = contract("products")
ITEMS = contract("order_items")
KEYS = [k * 211 for k in range(1, 1001)]


def rows_of(lake, table: str, key: str) -> dict[int, dict]:
    rows = open_table(lake, "processed", table).to_pyarrow_table().to_pylist()
    return {r[key]: r for r in rows}


def item_row(i: int, quantity: int = 2) -> dict:
    return {
        "order_item_id": i,
        "order_id": i // 3 + 1,
        "product_id": i % 50 + 1,
        "quantity": quantity,
        "unit_price": Decimal("4.50"),
        "discount": None,
    }


def test_gzipped_csv_files_are_applied(lake):
    write_dms(lake, "products", "LOAD00000001", [product_row(k) for k in KEYS], fmt="csv.gz")
    write_dms(
        lake,
        "products",
        "20261127-080000000",
        [product_row(k, "2.50") for k in KEYS[:300]],
        ops=["U"] * 300,
        fmt="csv.gz",
    )
    for _ in range(2):
        result = apply_pending(lake, PRODUCTS)
    rows = rows_of(lake, "products", "product_id")
    assert len(rows) == len(KEYS)
    assert {str(rows[k]["price"]) for k in KEYS[:300]} == {"2.50"}
    assert {str(rows[k]["price"]) for k in KEYS[300:]} == {"9.99"}
    assert result.files_quarantined == {} and result.files_unrecognized == []


def test_a_truncated_gzip_file_is_quarantined(lake):
    write_dms(lake, "products", "LOAD00000001", [product_row(k) for k in KEYS[:10]])
    path = write_dms(
        lake,
        "products",
        "20261127-080000000",
        [product_row(k, "2.50") for k in KEYS[:500]],
        ops=["U"] * 500,
        fmt="csv.gz",
    )
    with open(path, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
    result = apply_pending(lake, PRODUCTS)
    assert list(result.files_quarantined) == ["20261127-080000000.csv.gz"]
    assert list_quarantined(lake, "public", "products") == ["20261127-080000000.csv.gz"]


def test_unrecognized_files_are_reported_and_our_temp_files_skipped(lake):
    write_dms(lake, "products", "LOAD00000001", [product_row(k) for k in KEYS[:10]])
    folder = lake.raw_cdc_prefix("public", "products")
    fs = lake.filesystem()
    for name in (
        "20261127-080000000.json",
        "LOAD00000002.parquet.gz",
        "notes.txt",
        ".tmp-" + "0" * 32,
        ".20261127-080000000.parquet.tmp",
    ):
        with fs.open_output_stream(f"{folder}/{name}") as out:
            out.write(b"x")
    fs.create_dir(f"{folder}/2026/11/27")  # DMS date partitioning, which is not supported
    instance = DagsterInstance.ephemeral()
    result = materialize(
        [a for a in processed_assets if a.key == AssetKey(["processed", "products"])],
        instance=instance,
        resources={"lake": LakeResource(root=lake.root), "processed_engine": ProcessedEngine()},
    )
    assert result.success
    meta = instance.get_latest_materialization_event(
        AssetKey(["processed", "products"])
    ).asset_materialization.metadata
    expected = ["2026/", "20261127-080000000.json", "LOAD00000002.parquet.gz", "notes.txt"]
    assert meta["files_unrecognized"].value == len(expected)
    assert meta["files_unrecognized_names"].value == expected
    warnings = [
        e.message for e in instance.all_logs(result.run_id) if e.level >= 30 and "not DMS files" in e.message
    ]
    assert warnings and "notes.txt" in warnings[0]
    assert len(rows_of(lake, "products", "product_id")) == 10


def test_a_null_in_a_not_null_column_quarantines_the_file(lake):
    write_dms(lake, "products", "LOAD00000001", [product_row(k) for k in KEYS[:100]])
    bad = [product_row(k, "2.00") for k in KEYS[:50]]
    bad[7]["sku"] = None
    write_dms(lake, "products", "20261127-080000000", bad, ops=["U"] * 50)
    # a delete carrying only its key (REPLICA IDENTITY DEFAULT) is fine
    write_dms(lake, "products", "20261127-080100000", [{"product_id": KEYS[99]}], ops=["D"])
    for _ in range(2):
        result = apply_pending(lake, PRODUCTS)
    quarantined = list_quarantined(lake, "public", "products")
    assert quarantined == ["20261127-080000000.parquet"]
    reason = open(f"{lake.quarantine_prefix('public', 'products')}/{quarantined[0]}.reason.txt").read()
    assert "products" in reason and "'sku'" in reason and "20261127-080000000.parquet" in reason
    rows = rows_of(lake, "products", "product_id")
    assert len(rows) == 99 and {str(r["price"]) for r in rows.values()} == {"9.99"}
    assert result.files_applied == []


def test_int64_for_an_int_column_is_accepted_when_it_fits_and_stops_the_table_when_not(lake):
    write_dms(
        lake,
        "order_items",
        "LOAD00000001",
        [item_row(i) for i in range(1, 1001)],
        types={"quantity": pa.int64()},
    )
    apply_pending(lake, ITEMS)
    assert rows_of(lake, "order_items", "order_item_id")[5]["quantity"] == 2
    write_dms(
        lake,
        "order_items",
        "20261127-080000000",
        [item_row(5, 3_000_000_000)],
        ops=["U"],
        types={"quantity": pa.int64()},
    )
    with pytest.raises(SchemaDriftError, match="'quantity'.*do not fit"):
        apply_pending(lake, ITEMS)
    assert rows_of(lake, "order_items", "order_item_id")[5]["quantity"] == 2


def test_text_in_a_typed_numeric_column_is_a_type_change(lake):
    """Parquet is typed: numeric text where the contract says bigint means the source column
    changed type (only CSV, where everything is text, is parsed)."""
    rows = [{**item_row(i), "product_id": str(i % 50 + 1)} for i in range(1, 101)]
    write_dms(lake, "order_items", "LOAD00000001", rows, types={"product_id": pa.string()})
    with pytest.raises(SchemaDriftError, match="'product_id' is string"):
        apply_pending(lake, ITEMS)
