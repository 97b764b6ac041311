"""The wide-batch partition rewrite (processed/rewrite.py) against the MERGE on the same input.

Two lakes get the very same DMS files; one is forced to MERGE, the other chooses per batch.
After every batch (and a second run of it) both processed tables, and the curated tables that
follow them through the change data feed, must be equal in every column.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from dms_files import order_row, write_dms

from platform_assets.contracts import contract
from platform_assets.curated.refresh import refresh_curated
from platform_assets.lake import Lake
from platform_assets.processed import rewrite
from platform_assets.processed.apply import apply_pending
from platform_assets.processed.change_files import FOLDER
from platform_assets.processed.compute.report import apply_metadata
from platform_assets.processed.rewrite import MERGE, REWRITE, REWRITE_MIN_SHARE, share_of_rows_in
from platform_assets.storage.delta import COMPRESSION, open_table

ORDERS = contract("orders")
LOADED = range(250, 300_001, 250)  # 1,200 orders over 16 key-range partitions (20,000 keys each)


def table(lake: Lake, zone: str):
    return open_table(lake, zone, "orders").to_pyarrow_table().sort_by("order_id")


def write_both(lakes: list[Lake], name: str, rows: list[dict], ops: list[str] | None = None) -> None:
    for lake in lakes:
        write_dms(lake, "orders", name, rows, ops=ops)


def apply_both(merge_lake: Lake, auto_lake: Lake):
    """Apply the pending files in both lakes, twice; the second run must change nothing."""
    by_merge = apply_pending(merge_lake, ORDERS, strategy=MERGE)
    chosen = apply_pending(auto_lake, ORDERS)
    for lake, first in ((merge_lake, by_merge), (auto_lake, chosen)):
        again = apply_pending(lake, ORDERS)
        assert again.files_applied == [] and again.delta_version == first.delta_version
    processed = table(merge_lake, "processed")
    assert table(auto_lake, "processed").equals(processed)
    return by_merge, chosen


@pytest.fixture
def lakes(tmp_path, monkeypatch) -> tuple[Lake, Lake]:
    # these tables are small; the size floor is measured for production tables (test below)
    monkeypatch.setattr(rewrite, "REWRITE_MIN_ROWS", 0)
    merge_lake, auto_lake = Lake(str(tmp_path / "merge")), Lake(str(tmp_path / "auto"))
    write_both([merge_lake, auto_lake], "LOAD00000001", [order_row(k) for k in LOADED])
    apply_both(merge_lake, auto_lake)
    for lake in (merge_lake, auto_lake):
        refresh_curated(lake, ORDERS)
    return merge_lake, auto_lake


def test_wide_batch_is_rewritten_and_ends_equal_to_the_merge(lakes):
    merge_lake, auto_lake = lakes
    updates = [order_row(k, "99.50") for k in LOADED[::4]]  # 300 updates in every partition
    deletes = [order_row(k) for k in LOADED[1::12]]  # 100 deletes in every partition
    inserts = [order_row(k + 1, "5.25") for k in LOADED[2::6]]  # 200 new keys between old ones
    # a key change (delete + insert under a new key in another partition), a delete of a key
    # the table never had, and a key inserted then deleted within the batch
    moved = order_row(LOADED[3])
    moved_to = {**moved, "order_id": 310_007}
    rows = [*updates, *deletes, *inserts, moved, moved_to, order_row(7), order_row(8), order_row(8)]
    ops = ["U"] * 300 + ["D"] * 100 + ["I"] * 200 + ["D", "I", "D", "I", "D"]
    write_both([merge_lake, auto_lake], "20261127-080000000", rows, ops)

    by_merge, chosen = apply_both(merge_lake, auto_lake)

    assert (by_merge.strategy, chosen.strategy) == (MERGE, REWRITE)
    assert apply_metadata(auto_lake, ORDERS, chosen)["apply_strategy"] == REWRITE
    after = table(auto_lake, "processed")
    assert after.num_rows == 1_200 - 100 + 200 - 1 + 1
    assert sorted(after.column("_key_bucket").unique().to_pylist()) == list(range(16))
    m, r = by_merge.merge_metrics, chosen.merge_metrics
    for counted in ("num_target_rows_inserted", "num_target_rows_updated", "num_target_rows_deleted"):
        assert r[counted] == m[counted], counted
    assert r["partitions_rewritten"] == 16
    # curated follows the overwrite's change feed to the same table, merging only real changes
    curated = [refresh_curated(lake, ORDERS) for lake in (merge_lake, auto_lake)]
    assert [c.mode for c in curated] == ["incremental", "incremental"]
    assert curated[1].rows_changed == curated[0].rows_changed
    assert table(auto_lake, "curated").equals(table(merge_lake, "curated"))


@pytest.mark.parametrize(
    "drops", [0, 1, 2, rewrite.SLICE_MAX_DROPS, rewrite.SLICE_MAX_DROPS + 1, 2_000, 5_000]
)
def test_a_partitions_kept_rows_are_its_rows_without_the_replaced_ones(drops):
    """Slices around a few replaced rows, a filtered copy past SLICE_MAX_DROPS: the same rows
    in the same order either way, first and last rows included, over several files' chunks."""
    import numpy as np

    rng = np.random.default_rng(drops)
    rows = pa.concat_tables([pa.table({"k": pa.array(range(a, a + 2_500), pa.int64())}) for a in (0, 2_500)])
    positions = rng.choice(5_000, drops, replace=False)
    if drops >= 2:
        positions[:2] = [0, 4_999]
    mask = np.zeros(5_000, bool)
    mask[positions] = True
    drop = pa.chunked_array([mask[:2_500], mask[2_500:]])
    kept = rewrite._without(rows, drop)
    assert kept["k"].to_pylist() == [k for k in range(5_000) if not mask[k]]


def test_narrow_batch_keeps_the_merge_and_later_batches_stay_equal(lakes):
    merge_lake, auto_lake = lakes
    # a narrow batch: one key range of a table spread over 116 partitions (the 1,000 new keys
    # land in partitions that held no rows: nothing to rewrite, so that batch MERGEs too)
    wide = [order_row(k) for k in range(1_000_000, 3_000_000, 2_000)]
    write_both([merge_lake, auto_lake], "20261127-080000000", wide, ["I"] * len(wide))
    apply_both(merge_lake, auto_lake)
    narrow = [order_row(1_002_000, "1.00"), order_row(1_004_000)]
    assert share_of_rows_in(open_table(auto_lake, "processed", "orders"), [50]) < REWRITE_MIN_SHARE

    write_both([merge_lake, auto_lake], "20261127-080100000", narrow, ["U", "D"])
    _, chosen = apply_both(merge_lake, auto_lake)

    assert chosen.strategy == MERGE
    after = table(auto_lake, "processed")
    assert after.filter(pc.equal(after["order_id"], 1_002_000))["total_amount"].to_pylist() == [
        Decimal("1.00")
    ]
    assert not pc.any(pc.equal(after["order_id"], 1_004_000)).as_py()
    for lake in (merge_lake, auto_lake):
        refresh_curated(lake, ORDERS)
    assert table(auto_lake, "curated").equals(table(merge_lake, "curated"))


def test_changes_files_are_pruned_after_retention_and_a_missing_one_means_a_rebuild(lakes):
    merge_lake, auto_lake = lakes
    folder = Path(auto_lake.delta_uri("processed", "orders")) / FOLDER
    batches = [[order_row(k, f"{n}.75") for k in LOADED[n::5]] for n in (1, 2)]
    write_both([merge_lake, auto_lake], "20261127-080000000", batches[0], ["U"] * len(batches[0]))
    assert apply_both(merge_lake, auto_lake)[1].strategy == REWRITE
    (first,) = folder.iterdir()
    past_retention = time.time() - (ORDERS.vacuum_retention_hours + 1) * 3600
    os.utime(first, (past_retention, past_retention))

    write_both([merge_lake, auto_lake], "20261127-080100000", batches[1], ["U"] * len(batches[1]))
    assert apply_both(merge_lake, auto_lake)[1].strategy == REWRITE
    (second,) = folder.iterdir()  # the old one is gone, the new one is there
    assert second.name != first.name
    # curated last synced before both batches: the first one's changes are gone, so it
    # cannot follow incrementally and rebuilds instead of skipping that version
    assert refresh_curated(auto_lake, ORDERS).mode == "rebuild"
    refresh_curated(merge_lake, ORDERS)
    assert table(auto_lake, "curated").equals(table(merge_lake, "curated"))


def test_a_table_under_the_size_floor_keeps_the_merge_for_a_wide_batch(tmp_path):
    merge_lake, auto_lake = Lake(str(tmp_path / "merge")), Lake(str(tmp_path / "auto"))
    write_both([merge_lake, auto_lake], "LOAD00000001", [order_row(k) for k in LOADED])
    apply_both(merge_lake, auto_lake)
    half = [order_row(k, "1.00") for k in LOADED[::2]]
    write_both([merge_lake, auto_lake], "20261130-100000000", half, ops=["U"] * len(half))
    assert apply_both(merge_lake, auto_lake)[1].strategy == MERGE  # half the table, but small
    assert table(auto_lake, "processed").equals(table(merge_lake, "processed"))


@pytest.mark.parametrize("strategy", [MERGE, REWRITE, None])  # None: a new table's staged append
def test_lake_files_dictionary_encode_text_only_and_keep_statistics_where_they_skip_files(tmp_path, strategy):
    """storage/delta.writer_properties and parquet_write_options: one compression, and dictionary
    pages for text columns only (for mostly distinct keys, amounts and times delta-rs built one
    and fell back); file statistics stay, since file skipping reads them."""
    import pyarrow.parquet as pq

    lake = Lake(str(tmp_path))
    write_dms(lake, "orders", "LOAD00000001", [order_row(k, f"{k}.25") for k in range(1, 301)])
    apply_pending(lake, ORDERS)
    if strategy is not None:
        write_dms(
            lake, "orders", "20261130-100000000", [order_row(k, "9.99") for k in range(1, 301, 7)], ["U"] * 43
        )
        assert apply_pending(lake, ORDERS, strategy=strategy).strategy == strategy
    dt = open_table(lake, "processed", "orders")
    newest = max(dt.file_uris(), key=lambda u: os.path.getmtime(u.removeprefix("file://")))
    meta = pq.ParquetFile(newest.removeprefix("file://")).metadata
    encodings = {
        meta.schema.column(i).name: meta.row_group(0).column(i).encodings for i in range(meta.num_columns)
    }
    assert "RLE_DICTIONARY" in encodings["status"] and "RLE_DICTIONARY" in encodings["currency"]
    assert "RLE_DICTIONARY" not in encodings["order_id"] and "RLE_DICTIONARY" not in encodings["order_ts"]
    codecs = {meta.row_group(0).column(i).compression for i in range(meta.num_columns)}
    assert codecs == {"UNCOMPRESSED" if COMPRESSION == "none" else COMPRESSION.upper()}  # every writer alike
    stats = pa.table(dt.get_add_actions(flatten=True)).to_pydict()
    assert None not in stats["min.order_id"] and None not in stats["max.order_id"]
    # every file's statistics cover the contract's statistics columns and no other, whichever
    # writer wrote it, and its Parquet footer computed none for the others
    bounded = {k.removeprefix("min.") for k in stats if k.startswith("min.")}
    assert bounded == set(ORDERS.stats_columns)
    assert all(None not in stats[f"min.{n}"] for n in ORDERS.stats_columns if n != "_commit_ts")
    chunks = {meta.schema.column(i).name: meta.row_group(0).column(i) for i in range(meta.num_columns)}
    assert {n for n, chunk in chunks.items() if chunk.is_stats_set} == set(ORDERS.stats_columns)


def test_a_table_created_before_its_statistics_columns_takes_the_contracts_once(tmp_path):
    """A processed table an older version created (every column's statistics) gets the
    contract's properties in one metadata commit carrying the watermark; the rows and the
    watermark end as in a new lake, new files follow the property, and a rerun commits nothing."""
    from deltalake import DeltaTable

    from platform_assets.contracts.model import KEY_BUCKET_COLUMN
    from platform_assets.processed.delta import WATERMARK_KEY, table_properties
    from platform_assets.storage.delta import STATS_COLUMNS_PROPERTY, committed_value

    old, new = Lake(str(tmp_path / "old")), Lake(str(tmp_path / "new"))
    DeltaTable.create(
        old.delta_uri("processed", "orders"),
        ORDERS.processed_schema(),
        partition_by=[KEY_BUCKET_COLUMN],
        configuration={"delta.enableChangeDataFeed": "true"},  # as created before the property
    )
    write_both([old, new], "LOAD00000001", [order_row(k) for k in LOADED])
    for lake in (old, new):
        apply_pending(lake, ORDERS)
    updates = [order_row(k, "7.00") for k in LOADED[::5]]
    write_both([old, new], "20261201-080000000", updates, ["U"] * len(updates))
    for lake in (old, new):
        apply_pending(lake, ORDERS)

    dt = open_table(old, "processed", "orders")
    assert dt.metadata().configuration == table_properties(ORDERS)
    assert ORDERS.stats_columns == tuple(dt.metadata().configuration[STATS_COLUMNS_PROPERTY].split(","))
    assert table(old, "processed").equals(table(new, "processed"))
    newest = open_table(new, "processed", "orders")
    assert committed_value(old, dt, WATERMARK_KEY) == committed_value(new, newest, WATERMARK_KEY)
    stats = pa.table(dt.get_add_actions(flatten=True)).to_pydict()
    assert {k.removeprefix("min.") for k in stats if k.startswith("min.")} == set(ORDERS.stats_columns)
    version = dt.version()
    apply_pending(old, ORDERS)
    assert open_table(old, "processed", "orders").version() == version


KILLED_REWRITE = """
import sys
from platform_assets.contracts import contract
from platform_assets.lake import Lake
from platform_assets.processed import rewrite
from platform_assets.processed.apply import apply_pending
rewrite.REWRITE_MIN_ROWS = 0
apply_pending(Lake(sys.argv[1]), contract("orders"))
"""


def test_the_rewrite_killed_before_its_commit_leaves_the_table_unchanged_and_the_rerun_applies_once(lakes):
    """The new partition files are written first, then committed together: a SIGKILL between
    the two (a real child process) leaves the table as it was, and its files are never read."""
    merge_lake, auto_lake = lakes
    updates = [order_row(k, "42.00") for k in LOADED[::3]]
    write_both([merge_lake, auto_lake], "20261127-080000000", updates, ["U"] * len(updates))
    before, version = table(auto_lake, "processed"), open_table(auto_lake, "processed", "orders").version()

    killed = subprocess.run(
        [sys.executable, "-c", KILLED_REWRITE, auto_lake.root],
        env={**os.environ, "PLATFORM_KILL_AT": "apply.rewrite_written"},
        check=False,
    )

    assert killed.returncode == -9, "the rewrite never reached its commit"
    assert open_table(auto_lake, "processed", "orders").version() == version
    assert table(auto_lake, "processed").equals(before)
    folder = Path(auto_lake.delta_uri("processed", "orders"))

    def live() -> set[Path]:
        uris = open_table(auto_lake, "processed", "orders").file_uris()
        return {Path(u.removeprefix("file://")).resolve() for u in uris}

    crashed = {p.resolve() for p in folder.glob("_key_bucket=*/*.parquet")} - live()
    assert len(crashed) == len({k // ORDERS.key_bucket_size for k in LOADED[::3]})  # one per partition

    _, chosen = apply_both(merge_lake, auto_lake)  # equal to the MERGE, and a rerun changes nothing
    assert chosen.strategy == REWRITE and chosen.merge_metrics["num_target_rows_updated"] == len(updates)
    assert not live() & crashed


def test_a_wide_batch_after_a_new_column_fills_it_in_older_files_with_nulls(lakes):
    """Schema evolution added a column the older partition files lack; the rewrite reads them
    with the table's schema and writes every partition with the new column."""
    merge_lake, auto_lake = lakes
    rows = [order_row(k, "3.00") for k in LOADED[::2]]
    coupon = pa.array([f"C{k}" if k % 1_000 else None for k in LOADED[::2]], pa.string())
    for lake in (merge_lake, auto_lake):
        write_dms(lake, "orders", "20261127-080000000", rows, ops=["U"] * len(rows), extra={"coupon": coupon})

    by_merge, chosen = apply_both(merge_lake, auto_lake)

    assert chosen.strategy == REWRITE and chosen.new_columns == by_merge.new_columns == ["coupon"]
    after = table(auto_lake, "processed")
    no_coupon = sum(1 for k in LOADED[::2] if k % 1_000 == 0)
    assert after["coupon"].null_count == len(LOADED) - len(rows) + no_coupon


def test_the_rewrite_on_s3_equals_the_merge_on_a_local_lake(s3_lake, tmp_path, monkeypatch):
    """On moto's S3: partition files written through the lake's filesystem, committed by path,
    no "directory" objects left behind, the same rows as a local lake's MERGE."""
    monkeypatch.setattr(rewrite, "REWRITE_MIN_ROWS", 0)
    local = Lake(str(tmp_path / "merge"))
    write_both([local, s3_lake], "LOAD00000001", [order_row(k) for k in LOADED])
    for lake in (local, s3_lake):
        apply_pending(lake, ORDERS)
    rows = [order_row(k, "7.70") for k in LOADED[::5]] + [order_row(k + 3) for k in LOADED[:50]]
    ops = ["U"] * (len(rows) - 50) + ["I"] * 50
    write_both([local, s3_lake], "20261127-080000000", rows, ops)
    assert apply_pending(local, ORDERS, strategy=MERGE).strategy == MERGE
    result = apply_pending(s3_lake, ORDERS)
    assert result.strategy == REWRITE and apply_pending(s3_lake, ORDERS).files_applied == []
    assert table(s3_lake, "processed").equals(table(local, "processed"))
    bucket, _, prefix = s3_lake.fs_path(s3_lake.uri("processed", "orders")).partition("/")
    pages = s3_lake.s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    assert not [k for k in keys if k.endswith("/")]
