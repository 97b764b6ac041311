"""Spark's fold equals the delta-rs fold on the same DMS files, and so do the tables.

One Spark session (local mode, ~20-30 s to start: conftest's `spark`) is shared by every test. Each step
folds the same pending batch both ways (processed/apply.py `_fold` and the Spark job's fold),
compares the folded rows, then commits the Spark fold with delta-rs into one lake and runs
`apply_pending` on a copy of it, and compares the two processed tables.
"""

from __future__ import annotations

import dataclasses
import shutil
from datetime import timedelta

import pyarrow as pa
import pytest
from dms_files import T0, dms_seq, product_row, write_dms

from platform_assets.contracts import contract
from platform_assets.lake import Lake
from platform_assets.processed.apply import _fold, apply_pending, commit_folded, read_pending
from platform_assets.processed.delta import WATERMARK_KEY
from platform_assets.storage.delta import committed_value, open_table

pytestmark = pytest.mark.slow
# several key-range partitions for a thousand products
PRODUCTS = dataclasses.replace(contract("products"), key_bucket_size=250)


def _rows(t: pa.Table | None) -> list[dict]:
    if t is None:
        return []
    return sorted(t.to_pylist(), key=lambda r: (r["product_id"], r["_pos"]))


def _table(lake: Lake) -> list[dict]:
    rows = open_table(lake, "processed", "products").to_pyarrow_table().to_pylist()
    return sorted(rows, key=lambda r: r["product_id"])


def _step(spark, spark_lake: Lake, rs_lake: Lake) -> dict:
    """Fold the pending files both ways, commit Spark's, apply the copy with delta-rs."""
    from platform_assets.processed.compute.spark_fold import fold, to_arrow

    batch = read_pending(spark_lake, PRODUCTS)
    expected = _fold(spark_lake, PRODUCTS, batch)
    got = to_arrow(fold(spark, spark_lake, PRODUCTS, batch), PRODUCTS, batch)
    assert _rows(got.source) == _rows(expected.source)
    assert got.source is None or got.source.schema == expected.source.schema
    assert (got.watermark, got.changes_read) == (expected.watermark, expected.changes_read)
    assert (got.recomputed is None) == (expected.recomputed is None)
    if got.recomputed is not None:
        assert sorted(got.recomputed.to_pylist()) == sorted(expected.recomputed.to_pylist())
    mine = commit_folded(spark_lake, PRODUCTS, batch, got)
    theirs = apply_pending(rs_lake, PRODUCTS)
    assert _table(spark_lake) == _table(rs_lake)
    wm = [
        committed_value(lk, open_table(lk, "processed", "products"), WATERMARK_KEY)
        for lk in (spark_lake, rs_lake)
    ]
    assert wm[0] == wm[1] == mine.watermark == theirs.watermark
    assert mine.files_applied == theirs.files_applied
    assert mine.recomputed_keys == theirs.recomputed_keys
    return {"folded": 0 if got.source is None else got.source.num_rows, "result": mine}


def _copy(lake: Lake, tmp_path, name: str) -> Lake:
    shutil.copytree(lake.root, tmp_path / name)
    return Lake(str(tmp_path / name))


def test_spark_fold_equals_delta_rs_on_loads_cdc_redeliveries_and_late_files(spark, tmp_path):
    lake = Lake(str(tmp_path / "spark"))
    # a full load in two files (Parquet and CSV), then CDC in every format, with and
    # without `_change_seq` (text and integer)
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 601)])
    write_dms(lake, "products", "LOAD00000002", [product_row(i) for i in range(601, 1001)], fmt="csv")
    updates = [product_row(i, f"{i % 50}.25", name=f'Mug, "n° {i}"') for i in range(1, 1001, 3)]
    write_dms(lake, "products", "20261127-080000000", updates, ops=["U"] * len(updates), fmt="csv.gz")
    # one transaction changes a key twice in one file: row order decides (no `_change_seq`)
    write_dms(
        lake,
        "products",
        "20261127-080100000",
        [product_row(5, "1.00"), product_row(5, "2.00"), product_row(1001), product_row(7)],
        ops=["U", "U", "I", "D"],
        commit_ts=[T0 + timedelta(minutes=1)] * 4,
    )
    ts2 = [T0 + timedelta(minutes=2, microseconds=i) for i in range(200)]
    seq = [dms_seq(t, i) for i, t in enumerate(ts2)]
    write_dms(
        lake,
        "products",
        "20261127-080200000",
        [product_row(i, "3.50") for i in range(400, 600)],
        ops=["D" if i % 10 == 0 else "U" for i in range(400, 600)],
        change_seqs=seq,
        commit_ts=ts2,
    )
    rs_lake = _copy(lake, tmp_path, "rs")
    first = _step(spark, lake, rs_lake)
    assert first["folded"] == 1001 and first["result"].recomputed_keys == 0
    assert len(_table(lake)) == 1001 - 1 - 20  # product 7 and every tenth of 400..599 deleted
    buckets = {r["_key_bucket"] for r in _table(lake)}
    assert buckets == {0, 1, 2, 3, 4}

    # a redelivery of the sequenced file under a new name, a late file from before it (with
    # integer sequences) that deletes and re-inserts keys, and new changes after
    for lk in (lake, rs_lake):
        src = lk.raw_cdc_prefix("public", "products")
        shutil.copy(f"{src}/20261127-080200000.parquet", f"{src}/20261127-080300000.parquet")
        late_ts = [T0 + timedelta(minutes=1, seconds=30, microseconds=i) for i in range(30)]
        write_dms(
            lk,
            "products",
            "20261127-080130000",
            [product_row(i, "9.99") for i in range(400, 430)],
            ops=["D"] * 10 + ["U"] * 20,
            commit_ts=late_ts,
            seq_type=pa.int64(),
            change_seqs=[7_000_000 + i for i in range(30)],
        )  # the local capture's kind
        new_ts = [T0 + timedelta(minutes=4, microseconds=i) for i in range(50)]
        write_dms(
            lk,
            "products",
            "20261127-080400000",
            [product_row(i, "4.00") for i in range(950, 1000)],
            ops=["U"] * 50,
            commit_ts=new_ts,
            change_seqs=[dms_seq(t, i) for i, t in enumerate(new_ts)],
        )
    second = _step(spark, lake, rs_lake)
    assert second["result"].recomputed_keys == 200  # 400..599 from the resent and late files
    rows = {r["product_id"]: r for r in _table(lake)}
    assert str(rows[411]["price"]) == "3.50"  # the later update wins over the late file's
    assert 400 not in rows  # a later delete is not undone by the late file
    assert str(rows[960]["price"]) == "4.00"

    # nothing pending: both ways agree that nothing is written
    version = open_table(lake, "processed", "products").version()
    third = _step(spark, lake, rs_lake)
    assert third["folded"] == 0 and third["result"].files_applied == []
    assert open_table(lake, "processed", "products").version() == version
