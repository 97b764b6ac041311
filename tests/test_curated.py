"""Curated tables follow processed ones through the change data feed, PII masked."""

from __future__ import annotations

import hashlib

from dms_files import product_row, write_dms

from platform_assets.contracts import contract
from platform_assets.curated.conform import conform
from platform_assets.curated.refresh import refresh_curated
from platform_assets.processed.apply import apply_pending
from platform_assets.storage.delta import open_table

PRODUCTS, CUSTOMERS = contract("products"), contract("customers")


def curated_equals_processed(lake, c) -> bool:
    processed = open_table(lake, "processed", c.name).to_pyarrow_table()
    expected = conform(processed, c).sort_by(c.key)
    actual = open_table(lake, "curated", c.name).to_pyarrow_table().sort_by(c.key)
    return actual.equals(expected.cast(actual.schema))


def test_incremental_refresh_matches_a_rebuild_and_runs_twice_safely(lake):
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 20)])
    apply_pending(lake, PRODUCTS)
    assert refresh_curated(lake, PRODUCTS).mode == "rebuild"
    write_dms(
        lake,
        "products",
        "20261127-080000000",
        [product_row(3, "1.00"), product_row(4), product_row(25)],
        ops=["U", "D", "I"],
    )
    apply_pending(lake, PRODUCTS)
    r = refresh_curated(lake, PRODUCTS)
    assert (r.mode, r.rows_changed) == ("incremental", 3)
    assert curated_equals_processed(lake, PRODUCTS)
    assert refresh_curated(lake, PRODUCTS).mode == "unchanged"


def test_processed_versions_without_row_changes_are_read_as_nothing_to_merge(lake):
    """OPTIMIZE and property commits on processed add versions whose change feed is empty:
    the refresh records them read (no row changes, processed's version) instead of failing,
    and a second refresh is `unchanged`."""
    from platform_assets.curated.refresh import SOURCE_VERSION_KEY
    from platform_assets.maintenance import Target, compact
    from platform_assets.storage.delta import committed_value

    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 200)])
    apply_pending(lake, PRODUCTS)
    for n, keys in enumerate((range(200, 260), range(260, 300))):  # more files in one partition
        write_dms(
            lake,
            "products",
            f"20261201-0800{n:02d}000",
            [product_row(i) for i in keys],
            ops=["I"] * len(keys),
        )
        apply_pending(lake, PRODUCTS)
    assert refresh_curated(lake, PRODUCTS).mode == "rebuild"
    rows_before = open_table(lake, "curated", "products").to_pyarrow_table().sort_by("product_id")

    assert compact(lake, Target("processed", "products", (), 168)).details["files_removed"] >= 2
    open_table(lake, "processed", "products").alter.set_table_properties(
        {"delta.logRetentionDuration": "interval 30 days"}
    )
    processed = open_table(lake, "processed", "products")
    r = refresh_curated(lake, PRODUCTS)

    assert (r.mode, r.rows_changed, r.source_version) == ("incremental", 0, processed.version())
    curated = open_table(lake, "curated", "products")
    assert committed_value(lake, curated, SOURCE_VERSION_KEY) == str(processed.version())
    assert curated.to_pyarrow_table().sort_by("product_id").equals(rows_before)
    assert curated_equals_processed(lake, PRODUCTS)
    assert refresh_curated(lake, PRODUCTS).mode == "unchanged"


def test_restore_of_processed_table_keeps_curated_rows(lake):
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 6)])
    apply_pending(lake, PRODUCTS)
    refresh_curated(lake, PRODUCTS)
    write_dms(lake, "products", "20261127-080000000", [product_row(2, "9.00")], ops=["U"])
    apply_pending(lake, PRODUCTS)
    refresh_curated(lake, PRODUCTS)
    open_table(lake, "processed", "products").restore(1)  # a plain delta-rs RESTORE
    refresh_curated(lake, PRODUCTS)
    assert curated_equals_processed(lake, PRODUCTS)
    assert open_table(lake, "curated", "products").to_pyarrow_dataset().count_rows() == 5


def test_pii_is_dropped_or_hashed(lake, monkeypatch):
    import hmac
    from datetime import UTC, datetime

    monkeypatch.setenv("PLATFORM_PII_HASH_KEY", "a-test-key-of-at-least-32-characters")
    t = datetime(2026, 1, 1, tzinfo=UTC)
    row = {
        "customer_id": 1,
        "email": " Zoë.O'Brien@Example.com ",
        "first_name": "Zoë",
        "last_name": "O'Brien",
        "phone": "+49 1",
        "street_address": "1 Main St",
        "city": "Köln",
        "country": "DE",
        "marketing_opt_in": True,
        "created_at": t,
        "updated_at": t,
    }
    write_dms(lake, "customers", "LOAD00000001", [row])
    apply_pending(lake, CUSTOMERS)
    refresh_curated(lake, CUSTOMERS)
    (out,) = open_table(lake, "curated", "customers").to_pyarrow_table().to_pylist()
    assert (
        out["email_hmac"]
        == hmac.new(
            b"a-test-key-of-at-least-32-characters", b"zo\xc3\xab.o'brien@example.com", hashlib.sha256
        ).hexdigest()
    )
    assert not {"email", "first_name", "last_name", "phone", "street_address"} & set(out)
    assert out["city"] == "Köln"
