"""An UPDATE that changes a primary key, from real Postgres through capture and apply.

pgoutput sends such an update with the old row (REPLICA IDENTITY FULL) and the new one; the
raw zone must carry a D of the old key right before the new row, so the apply removes the old
key. Covered: many rows re-keyed at once (into other key-range partitions), one row re-keyed
twice in a transaction, a key swap through a temporary key, a freed key reused by an insert,
a re-keyed row deleted in the same transaction, and a TOASTed note carried across the move.
"""

from __future__ import annotations

import random
import string
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from psycopg import sql

from platform_assets.contracts import CONTRACTS, contract
from platform_assets.curated.refresh import refresh_curated
from platform_assets.processed.apply import apply_pending
from platform_assets.processed.reconcile import reconcile
from platform_assets.raw.cdc_capture.capture import capture_once, capture_until_empty
from platform_assets.raw.cdc_capture.slot import ensure_replication
from platform_assets.raw.full_load import full_load
from platform_assets.sources.oltp.seed import seed
from platform_assets.storage.delta import open_table

# incompressible, so Postgres stores it out of line: the move sends it as 'unchanged'
LONG_NOTE = "Lieferhinweis ✓ " + "".join(random.Random(3).choices(string.ascii_letters, k=7000))


@pytest.fixture
def slot(pg_dsn) -> str:
    return "cdc_" + pg_dsn.split("?")[0].rsplit("/", 1)[-1]


@pytest.fixture
def shop(pg_dsn, lake, slot):
    """A seeded shop, fully loaded and applied, with the slot created before the load."""
    with psycopg.connect(pg_dsn) as conn:
        seed(conn, orders=1000, seed=11)
        ensure_replication(conn, slot)
        conn.execute("UPDATE orders SET note = %s WHERE order_id = 14", (LONG_NOTE,))
        conn.commit()
    full_load(pg_dsn, lake, list(CONTRACTS.values()))
    for c in CONTRACTS.values():
        apply_pending(lake, c)
        refresh_curated(lake, c)
    yield pg_dsn
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
            " WHERE database = current_database()"
        )


def rekey(conn: psycopg.Connection) -> None:
    customer_cols = sql.SQL(", ").join(map(sql.Identifier, contract("customers").column_names[1:]))
    with conn.transaction():  # many rows at once, into other partitions; order 14 is TOASTed
        conn.execute(
            "UPDATE orders SET order_id = order_id + 100000, status = 'shipped' WHERE order_id % 7 = 0"
        )
    with conn.transaction():  # one row re-keyed twice
        conn.execute("UPDATE customers SET customer_id = 200050 WHERE customer_id = 50")
        conn.execute(
            "UPDATE customers SET customer_id = 300050, email = 'twice@example.com'"
            " WHERE customer_id = 200050"
        )
    with conn.transaction():  # a key swap through a temporary key
        conn.execute("UPDATE products SET product_id = 999999 WHERE product_id = 1")
        conn.execute("UPDATE products SET product_id = 1 WHERE product_id = 2")
        conn.execute("UPDATE products SET product_id = 2 WHERE product_id = 999999")
    with conn.transaction():  # a freed key reused, a moved row deleted
        conn.execute("UPDATE customers SET customer_id = 200060 WHERE customer_id = 60")
        conn.execute(
            sql.SQL(
                "INSERT INTO customers (customer_id, {cols})"
                " SELECT 60, {cols} FROM customers WHERE customer_id = 61"
            ).format(cols=customer_cols)
        )
        conn.execute("UPDATE customers SET customer_id = 200070 WHERE customer_id = 70")
        conn.execute("DELETE FROM customers WHERE customer_id = 200070")
    with conn.transaction():  # and back again, in a later transaction
        conn.execute("UPDATE orders SET order_id = 7 WHERE order_id = 100007")


def capture_and_apply(dsn: str, lake, slot: str) -> None:
    capture_until_empty(dsn, lake, slot=slot, max_changes=60)  # several batches
    for c in CONTRACTS.values():
        apply_pending(lake, c)
        refresh_curated(lake, c)  # through processed's change data feed


def keys(lake, zone: str, table: str) -> list[int]:
    key = contract(table).key
    return sorted(open_table(lake, zone, table).to_pyarrow_table(columns=[key])[key].to_pylist())


def versions(lake) -> dict[str, int]:
    return {(z, t): open_table(lake, z, t).version() for z in ("processed", "curated") for t in CONTRACTS}


def test_primary_key_updates_leave_processed_equal_to_postgres(shop, lake, slot):
    with psycopg.connect(shop) as conn:
        rekey(conn)
    capture_and_apply(shop, lake, slot)

    with psycopg.connect(shop) as conn:
        for c in CONTRACTS.values():
            r = reconcile(conn, lake, c)
            assert r.matches, f"{c.name}: {r}"
    orders = open_table(lake, "processed", "orders").to_pyarrow_table().to_pylist()
    by_key = {r["order_id"]: r for r in orders}
    assert 21 not in by_key and by_key[100021]["status"] == "shipped"
    assert by_key[100014]["note"] == LONG_NOTE  # the unchanged TOASTed value moved along
    for t in CONTRACTS:  # and curated follows: the old keys are gone there too
        assert keys(lake, "curated", t) == keys(lake, "processed", t), t

    # the raw rows: a D of the old key right before the new row, in source order
    folder = Path(lake.raw_cdc_prefix("public", "customers"))
    customers = pa.concat_tables(
        [pq.read_table(p) for p in sorted(folder.glob("2*.parquet"))],  # the CDC files
        promote_options="permissive",
    ).sort_by("_change_seq")
    moved = [
        (r["Op"], r["customer_id"]) for r in customers.to_pylist() if r["customer_id"] in (50, 200050, 300050)
    ]
    assert moved == [("D", 50), ("U", 200050), ("D", 200050), ("U", 300050)]
    seqs = customers["_change_seq"].to_pylist()
    assert len(set(seqs)) == len(seqs)

    # capture and apply again: nothing new, no new table version in either zone
    before = versions(lake)
    assert capture_once(shop, lake, slot=slot).transactions == 0
    capture_and_apply(shop, lake, slot)
    assert versions(lake) == before
    with psycopg.connect(shop) as conn:
        assert all(reconcile(conn, lake, c).matches for c in CONTRACTS.values())
