"""Delta maintenance: compaction, Z-order, VACUUM and raw-zone retention, and that none of them
disturbs the apply's watermark or the curated zone's change-feed reader."""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from deltalake import DeltaTable, write_deltalake
from dms_files import T0, product_row, write_dms

from platform_assets.contracts import contract
from platform_assets.curated.conform import conform
from platform_assets.curated.refresh import SOURCE_VERSION_KEY, refresh_curated
from platform_assets.maintenance import (
    SAFE_MIN_RETENTION_HOURS,
    Target,
    compact,
    purge_applied_raw_files,
    vacuum,
    zorder,
)
from platform_assets.maintenance.jobs import delta_compaction_job, raw_retention_job
from platform_assets.maintenance.operations import vacuum_retention
from platform_assets.processed.apply import apply_pending
from platform_assets.processed.delta import WATERMARK_KEY
from platform_assets.resources import LakeResource
from platform_assets.storage.delta import committed_value, open_table

ORDERS = contract("orders")
PRODUCTS = contract("products")


def target(zone: str, c) -> Target:
    from platform_assets.maintenance.targets import targets

    return next(t for t in targets() if t.zone == zone and t.table == c.name)


def order_row(oid: int, amount: str = "10.00", status: str = "placed") -> dict:
    return {
        "order_id": oid,
        "customer_id": oid % 17,
        "status": status,
        "order_ts": T0 + timedelta(minutes=oid),
        "total_amount": Decimal(amount),
        "currency": "EUR",
        "shipping_country": "DE",
        "note": None,
        "updated_at": T0,
    }


def rows_of(dt: DeltaTable, key: str) -> list[dict]:
    return dt.to_pyarrow_table().sort_by(key).to_pylist()


def build_from_fifty_appends(lake) -> None:
    """A full load, then 49 CDC files each inserting one key into each of 3 key partitions:
    50 MERGE commits, 150 small data files."""
    write_dms(lake, "orders", "LOAD00000001", [order_row(i) for i in (1, 25_000, 45_000)])
    apply_pending(lake, ORDERS)
    for n in range(49):
        keys = [2 + n, 25_001 + n, 45_001 + n]  # one new key in each of 3 partitions
        ts = T0 + timedelta(seconds=n + 1)
        write_dms(lake, "orders", f"{ts:%Y%m%d-%H%M%S}000", [order_row(k) for k in keys], ops=["I"] * 3)
        apply_pending(lake, ORDERS)


def test_fifty_small_appends_compact_to_a_handful_of_files_with_identical_content(lake):
    build_from_fifty_appends(lake)
    dt = open_table(lake, "processed", "orders")
    before_rows, watermark = rows_of(dt, "order_id"), committed_value(lake, dt, WATERMARK_KEY)
    assert len(before_rows) == 150

    report = compact(lake, target("processed", ORDERS))

    assert report.before.files >= 50 and report.after.files == 3  # one per _key_bucket
    assert report.after.bytes < report.before.bytes
    assert report.after.version == report.before.version + 1
    dt = open_table(lake, "processed", "orders")
    assert rows_of(dt, "order_id") == before_rows
    assert committed_value(lake, dt, WATERMARK_KEY) == watermark  # carried by the OPTIMIZE commit
    md = report.metadata()
    assert md["files_before"] == report.before.files and md["files_after"] == 3
    assert md["delta_version"] == dt.version()
    print(
        f"\ncompaction: {md['files_before']} files / {md['bytes_before']} B -> "
        f"{md['files_after']} files / {md['bytes_after']} B"
    )
    # the applied log (50 appends) compacts too, and the apply still works on top of it all
    log = compact(lake, target("applied_log", ORDERS))
    assert log.before.files == 50 and log.after.files == 1
    write_dms(lake, "orders", "20261127-090000000", [order_row(3, "99.00")], ops=["U"])
    result = apply_pending(lake, ORDERS)
    assert result.files_applied == ["20261127-090000000.parquet"] and result.recomputed_keys == 0
    assert (
        str(
            open_table(lake, "processed", "orders").to_pyarrow_table(filters=[("order_id", "=", 3)])[
                "total_amount"
            ][0]
        )
        == "99.00"
    )


def _curated_orders(n_appends: int = 40, rows: int = 400, seed: int = 7) -> list[pa.Table]:
    rnd = random.Random(seed)
    schema = ORDERS.curated_schema()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batches = []
    for a in range(n_appends):
        ids = range(a * rows, (a + 1) * rows)
        raw = {
            "order_id": list(ids),
            "customer_id": [rnd.randint(1, 5000) for _ in ids],
            "status": [rnd.choice(["placed", "paid", "shipped"]) for _ in ids],
            "order_ts": [start + timedelta(minutes=rnd.randint(0, 365 * 24 * 60)) for _ in ids],
            "total_amount": [Decimal(rnd.randint(100, 99_999)) / 100 for _ in ids],
            "currency": ["EUR"] * rows,
            "shipping_country": [rnd.choice(["DE", "FR"]) for _ in ids],
            "updated_at": [start] * rows,
            "_commit_ts": [start] * rows,
        }  # no note: free text
        batches.append(pa.table(raw).cast(schema))
    return batches


def files_read(dt: DeltaTable, flt: ds.Expression) -> int:
    """Files a filtered scan opens: pyarrow prunes delta-rs fragments by their min/max stats."""
    return len(list(dt.to_pyarrow_dataset().get_fragments(filter=flt)))


def test_zorder_on_the_contract_clustering_column_cuts_files_read(tmp_path):
    from platform_assets.lake import Lake

    t = target("curated", ORDERS)
    assert t.clustering == ("order_ts",)  # from the contract
    week = (ds.field("order_ts") >= pa.scalar(datetime(2026, 3, 1, tzinfo=UTC))) & (
        ds.field("order_ts") < pa.scalar(datetime(2026, 3, 8, tzinfo=UTC))
    )
    size = 96 * 1024  # small files so the 16,000-row table still spans several
    results = {}
    for mode in ("compact", "zorder"):
        lk = Lake(str(tmp_path / mode))
        for batch in _curated_orders():
            write_deltalake(t.uri(lk), batch, mode="append")
        dt = DeltaTable(t.uri(lk))
        expected = dt.to_pyarrow_table(filters=week).sort_by("order_id")
        appended = files_read(dt, week)
        report = compact(lk, t, target_size=size) if mode == "compact" else zorder(lk, t, target_size=size)
        dt = DeltaTable(t.uri(lk))
        assert dt.to_pyarrow_table(filters=week).sort_by("order_id") == expected
        results[mode] = (appended, report.after.files, files_read(dt, week))
    print(
        f"\nfiles read by a one-week order_ts filter (files in table): after 40 appends "
        f"{results['compact'][0]}/40; compacted {results['compact'][2]}/"
        f"{results['compact'][1]}; Z-ordered {results['zorder'][2]}/{results['zorder'][1]}"
    )
    c_read, c_files = results["compact"][2], results["compact"][1]
    z_read, z_files = results["zorder"][2], results["zorder"][1]
    assert c_files > 2 and z_files > 2
    assert c_read == c_files  # every compacted file spans the whole year
    assert z_read * 3 <= z_files  # clustered files: a week touches a small fraction
    # a second Z-order with nothing changed in between is skipped, not rewritten
    again = zorder(Lake(str(tmp_path / "zorder")), t, target_size=size)
    assert again.skipped and again.after.version == again.before.version


def test_vacuum_retention_is_never_below_the_safe_default_unless_forced(lake):
    short = Target("processed", "orders", (), retention_hours=1)
    assert vacuum_retention(short) == SAFE_MIN_RETENTION_HOURS
    assert vacuum_retention(short, retention_hours=0) == SAFE_MIN_RETENTION_HOURS
    assert vacuum_retention(short, force=True) == 1
    long = Target("processed", "orders", (), retention_hours=720)
    assert vacuum_retention(long) == 720

    build_from_fifty_appends(lake)
    t = target("processed", ORDERS)
    compact(lake, t)
    rows = rows_of(open_table(lake, "processed", "orders"), "order_id")
    watermark = committed_value(lake, open_table(lake, "processed", "orders"), WATERMARK_KEY)
    kept = vacuum(lake, t)  # the contract's 168 h: the replaced files are minutes old
    assert kept.details["files_deleted"] == 0 and kept.skipped == "nothing to delete"
    dry = vacuum(lake, t, retention_hours=0, force=True, dry_run=True)
    assert dry.details["files_deleted"] >= 50 and dry.after.stored_files == dry.before.stored_files
    done = vacuum(lake, t, retention_hours=0, force=True)
    assert done.details["files_deleted"] == dry.details["files_deleted"]
    assert done.after.stored_files == done.before.stored_files - done.details["files_deleted"]
    assert done.after.stored_bytes < done.before.stored_bytes
    assert done.after.files == done.before.files == 3
    dt = open_table(lake, "processed", "orders")
    assert rows_of(dt, "order_id") == rows
    assert committed_value(lake, dt, WATERMARK_KEY) == watermark  # VACUUM START/END carry it too


def test_optimize_between_applies_keeps_the_curated_change_feed_reader_right(lake):
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 30)])
    apply_pending(lake, PRODUCTS)
    assert refresh_curated(lake, PRODUCTS).mode == "rebuild"
    for minute in range(6):  # small MERGEs: many small files
        write_dms(
            lake,
            "products",
            f"20261127-08{minute:02d}00000",
            [product_row(minute + 1, f"{minute}.50"), product_row(100 + minute)],
            ops=["U", "I"],
        )
        apply_pending(lake, PRODUCTS)
    pt = target("processed", PRODUCTS)
    assert compact(lake, pt).after.files == 1  # an OPTIMIZE (dataChange=false) in the feed range
    assert zorder(lake, pt, force=True).details["zorder_by"] == "category"  # and a Z-order
    write_dms(lake, "products", "20261127-090000000", [product_row(2), product_row(101)], ops=["U", "D"])
    apply_pending(lake, PRODUCTS)
    vacuum(lake, pt, retention_hours=0, force=True)  # VACUUM START/END in the range too

    r = refresh_curated(lake, PRODUCTS)

    assert r.mode == "incremental"
    processed = open_table(lake, "processed", "products")
    expected = conform(processed.to_pyarrow_table(), PRODUCTS).sort_by("product_id")
    curated = open_table(lake, "curated", "products")
    assert curated.to_pyarrow_table().sort_by("product_id").to_pylist() == expected.to_pylist()
    assert 101 not in expected["product_id"].to_pylist()
    # maintenance of the curated table keeps its sync position; the next refresh is a no-op
    ct = target("curated", PRODUCTS)
    compact(lake, ct)
    vacuum(lake, ct, retention_hours=0, force=True)
    curated = open_table(lake, "curated", "products")
    assert committed_value(lake, curated, SOURCE_VERSION_KEY) == str(processed.version())
    assert refresh_curated(lake, PRODUCTS).mode == "unchanged"


def test_raw_retention_deletes_only_old_applied_files(lake):
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 4)])
    old_cdc = write_dms(lake, "products", "20261127-080000000", [product_row(1, "2.00")], ops=["U"])
    recent_cdc = write_dms(lake, "products", "20261127-080100000", [product_row(2, "3.00")], ops=["U"])
    apply_pending(lake, PRODUCTS)
    rows = rows_of(open_table(lake, "processed", "products"), "product_id")
    pending = write_dms(lake, "products", "20261127-080200000", [product_row(3, "4.00")], ops=["U"])
    ten_days_ago = time.time() - 10 * 86400
    folder = os.path.dirname(old_cdc)
    for name in os.listdir(folder):
        os.utime(os.path.join(folder, name), (ten_days_ago, ten_days_ago))
    os.utime(recent_cdc, None)  # applied, but within the 7 days kept

    dry = purge_applied_raw_files(lake, PRODUCTS, keep_days=7, dry_run=True)
    assert sorted(os.listdir(folder)) == sorted(
        [
            "LOAD00000001.parquet",
            "20261127-080000000.parquet",
            "20261127-080100000.parquet",
            "20261127-080200000.parquet",
        ]
    )
    report = purge_applied_raw_files(lake, PRODUCTS, keep_days=7)

    assert report.deleted == dry.deleted == ["20261127-080000000.parquet", "LOAD00000001.parquet"]
    assert report.kept_unapplied == 1 and report.kept_recent == 1 and report.bytes_deleted > 0
    assert sorted(os.listdir(folder)) == [os.path.basename(recent_cdc), os.path.basename(pending)]
    result = apply_pending(lake, PRODUCTS)  # the pending file still applies, nothing else moves
    assert result.files_applied == ["20261127-080200000.parquet"]
    after = {r["product_id"]: r for r in rows_of(open_table(lake, "processed", "products"), "product_id")}
    assert str(after[3]["price"]) == "4.00"
    assert [after[r["product_id"]]["price"] for r in rows[:2]] == [r["price"] for r in rows[:2]]


def test_maintenance_jobs_record_observations_with_layout_metadata(lake):
    build_from_fifty_appends(lake)
    resources = {"lake": LakeResource(root=lake.root)}
    result = delta_compaction_job.execute_in_process(resources=resources)
    assert result.success
    obs = [e.asset_observation_data.asset_observation for e in result.get_asset_observation_events()]
    by_key = {o.asset_key.to_user_string(): o.metadata for o in obs}
    md = by_key["processed/orders"]
    assert md["files_before"].value >= 50 and md["files_after"].value == 3
    assert md["delta_version"].value == open_table(lake, "processed", "orders").version()
    retention = raw_retention_job.execute_in_process(
        resources=resources,
        run_config={"ops": {"purge_applied_raw_files_op": {"config": {"keep_days": 0, "dry_run": True}}}},
    )
    assert retention.success


@pytest.mark.parametrize("zone", ["processed", "curated"])
def test_every_table_has_its_contract_clustering(zone):
    from platform_assets.maintenance.targets import targets

    clustered = {t.table: t.clustering for t in targets((zone,))}
    assert clustered["customers"] == ("country",) and clustered["orders"] == ("order_ts",)


def test_maintenance_and_restore_on_s3(s3_lake):
    """The same operations against S3 (moto's server): log reads, listing, restore, vacuum."""
    from platform_assets.tables import TableRef, read_as_of, restore_table

    lake = s3_lake
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 6)])
    apply_pending(lake, PRODUCTS)
    for minute in range(4):
        write_dms(
            lake,
            "products",
            f"20261127-08{minute:02d}00000",
            [product_row(minute + 1, f"{minute}.25")],
            ops=["U"],
        )
        apply_pending(lake, PRODUCTS)
    ref = TableRef("processed", "products")
    record = restore_table(lake, ref, 1, who="ci", why="check restore on S3")
    assert {str(r["price"]) for r in read_as_of(lake, ref).to_pylist()} == {"9.99"}
    assert record.applied_files_rewound == 4
    assert apply_pending(lake, PRODUCTS).files_applied == []  # the restored state stays ...
    from platform_assets.tables.reapply import reapply

    assert len(reapply(lake, ref, who="ci", why="re-apply on purpose")) == 4  # ... until asked
    assert sorted(apply_pending(lake, PRODUCTS).files_applied)[0] == "20261127-080000000.parquet"
    for minute in range(3):  # inserts: one new small file each
        write_dms(lake, "products", f"20261127-09{minute:02d}00000", [product_row(50 + minute)], ops=["I"])
        apply_pending(lake, PRODUCTS)
    rows = rows_of(open_table(lake, "processed", "products"), "product_id")
    watermark = committed_value(lake, open_table(lake, "processed", "products"), WATERMARK_KEY)
    pt = target("processed", PRODUCTS)
    report = compact(lake, pt)
    assert report.before.files > 1 and report.after.files == 1
    gone = vacuum(lake, pt, retention_hours=0, force=True)
    assert gone.details["files_deleted"] > 0
    assert gone.after.stored_files == gone.before.stored_files - gone.details["files_deleted"]
    dt = open_table(lake, "processed", "products")
    assert rows_of(dt, "product_id") == rows
    assert committed_value(lake, dt, WATERMARK_KEY) == watermark  # carried by both commits
