"""Personal data in the curated zone: a keyed hash (HMAC-SHA256), never a plain one; free text
classified and kept out; the key from the environment, generated once locally, and rotated by
a full rebuild."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import stat
from datetime import UTC, datetime

import pytest
import yaml
from dms_files import write_dms

from platform_assets.contracts import CONTRACTS, contract
from platform_assets.contracts.model import Column, TableContract
from platform_assets.contracts.shares import Share, validate_shares
from platform_assets.curated.pii_key import KEY_ENV, key_id, pii_hash_key
from platform_assets.curated.refresh import refresh_curated
from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.processed.apply import apply_pending
from platform_assets.settings import DBT_PROJECT_DIR
from platform_assets.storage.delta import open_table
from platform_assets.warehouse.dbt_sources import render_shop_sources

CUSTOMERS, ORDERS = contract("customers"), contract("orders")
T = datetime(2026, 1, 1, tzinfo=UTC)


def customer(i: int) -> dict:
    return {
        "customer_id": i,
        "email": f" User.{i}@Example.com ",
        "first_name": "Zoë",
        "last_name": "O'Brien",
        "phone": "+49 1",
        "street_address": "1 Main St",
        "city": "Köln",
        "country": "DE",
        "marketing_opt_in": True,
        "created_at": T,
        "updated_at": T,
    }


def order(i: int) -> dict:
    return {
        "order_id": i,
        "customer_id": i % 50 + 1,
        "status": "placed",
        "order_ts": T,
        "total_amount": __import__("decimal").Decimal("10.00"),
        "currency": "EUR",
        "shipping_country": "DE",
        "note": f"Bitte bei Frau Müller, Tel. 0171 {i:07d} abgeben",
        "updated_at": T,
    }


def keyed(key: bytes, email: str) -> str:
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def test_emails_are_a_keyed_hash_under_a_name_that_says_so(lake, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "k" * 40)
    write_dms(lake, "customers", "LOAD00000001", [customer(i) for i in range(1, 1001)])
    apply_pending(lake, CUSTOMERS)
    for _ in range(2):
        refresh_curated(lake, CUSTOMERS)
    rows = {
        r["customer_id"]: r for r in open_table(lake, "curated", "customers").to_pyarrow_table().to_pylist()
    }
    assert len(rows) == 1000
    r = rows[7]
    assert "email_sha256" not in r and "email" not in r
    assert r["email_hmac"] == keyed(b"k" * 40, "user.7@example.com")
    # a list of addresses is no longer enough to reverse it
    assert r["email_hmac"] != hashlib.sha256(b"user.7@example.com").hexdigest()
    assert not {"first_name", "last_name", "phone", "street_address"} & set(r)


def test_rotating_the_key_rebuilds_the_curated_table_with_new_hashes(lake, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "old-key-" * 5)
    write_dms(lake, "customers", "LOAD00000001", [customer(i) for i in range(1, 301)])
    apply_pending(lake, CUSTOMERS)
    refresh_curated(lake, CUSTOMERS)
    write_dms(lake, "customers", "20261127-080000000", [customer(301)], ops=["I"])
    apply_pending(lake, CUSTOMERS)
    assert refresh_curated(lake, CUSTOMERS).mode == "incremental"
    before = {
        r["customer_id"]: r["email_hmac"]
        for r in open_table(lake, "curated", "customers").to_pyarrow_table().to_pylist()
    }

    monkeypatch.setenv(KEY_ENV, "new-key-" * 5)
    r = refresh_curated(lake, CUSTOMERS)  # no new change in processed, but a new key
    assert r.mode == "rebuild"
    after = {
        row["customer_id"]: row["email_hmac"]
        for row in open_table(lake, "curated", "customers").to_pyarrow_table().to_pylist()
    }
    assert after.keys() == before.keys() and len(after) == 301
    assert all(after[i] != before[i] for i in after)  # no row keeps an old-key hash
    assert after[5] == keyed(("new-key-" * 5).encode(), "user.5@example.com")
    assert refresh_curated(lake, CUSTOMERS).mode == "unchanged"


def test_a_local_lake_generates_a_key_once_outside_the_repo(platform_home, monkeypatch, caplog):
    monkeypatch.delenv(KEY_ENV, raising=False)
    lake = Lake(str(platform_home / ".lake"))
    with caplog.at_level(logging.WARNING):
        key = pii_hash_key(lake)
    path = platform_home / ".platform" / "pii_hash_key"
    assert path.is_file() and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 32 and pii_hash_key(lake) == key  # kept, not regenerated
    said = caplog.text
    assert str(path) in said and KEY_ENV in said
    assert key.decode() not in said and key_id(key) in said  # never the key itself


def test_a_lake_on_s3_without_a_key_is_one_clear_error(platform_home, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    shared = Lake("s3://lake-bucket/prod")
    with pytest.raises(PlatformError, match=f"{KEY_ENV} is not set; the lake s3://"):
        pii_hash_key(shared)
    assert not (platform_home / ".platform" / "pii_hash_key").exists()  # nothing generated
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(PlatformError, match="at least 32"):
        pii_hash_key(shared)
    monkeypatch.setenv(KEY_ENV, "x" * 32)
    assert pii_hash_key(shared) == b"x" * 32


def test_free_text_is_classified_and_never_reaches_curated(lake, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "k" * 40)
    assert ORDERS.column("note").pii == "free_text"
    write_dms(lake, "orders", "LOAD00000001", [order(i) for i in range(1, 1001)])
    apply_pending(lake, ORDERS)
    refresh_curated(lake, ORDERS)
    curated = open_table(lake, "curated", "orders").to_pyarrow_table()
    assert curated.num_rows == 1000 and "note" not in curated.column_names
    assert not any("Müller" in str(v) for col in curated.columns for v in col.to_pylist()[:5])


def test_shares_refuse_free_text_as_they_refuse_pii():
    notes = TableContract(
        name="notes",
        owner="team:x",
        description="x",
        primary_key=("id",),
        shared=True,
        columns=(Column("id", "bigint", nullable=False), Column("comment", "text", pii="free_text")),
    )
    with pytest.raises(ValueError, match="free_text"):
        validate_shares((Share("s", ("notes",), ("r",)),), {**CONTRACTS, "notes": notes})


def test_warehouse_and_catalog_follow_the_contract_name():
    (source,) = yaml.safe_load(render_shop_sources())["sources"]
    customers = next(t for t in source["tables"] if t["name"] == "customers")
    hashed = next(c for c in customers["columns"] if c["name"] == "email_hmac")
    assert hashed["config"]["meta"] == {"pii": "hmac_sha256"}
    orders = next(t for t in source["tables"] if t["name"] == "orders")
    assert "note" not in {c["name"] for c in orders["columns"]}
    stale = [
        str(p.relative_to(DBT_PROJECT_DIR))
        for p in DBT_PROJECT_DIR.rglob("*")
        if p.suffix in (".sql", ".yml", ".md")
        and "target" not in p.parts
        and re.search(r"\b(?!hmac_sha256\b)\w+_sha256\b", p.read_text(encoding="utf-8"))
    ]
    assert stale == []
