"""Seeded data for the benchmarks: an orders-like table and CDC batches over it.

Batches follow the issue's mix: 40% inserts of new keys, 50% updates, 10% deletes; of the
updates and deletes, 95% hit the newest 2% of keys and 5% hit keys uniformly at random.
Every engine gets the very same rows.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from platform_assets.contracts import contract

ORDERS = contract("orders")
EPOCH_US = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
STATUSES = np.array(["placed", "paid", "shipped", "delivered", "cancelled"])
# the change mix (module docstring); bench/capacity_model.py models the same batches
INSERT_SHARE, UPDATE_SHARE = 0.4, 0.5  # deletes: the rest
HOT_SHARE = 0.95  # of the updates and deletes, on the newest 1 / HOT_KEYS_PART of keys
HOT_KEYS_PART = 50


def orders_rows(keys: np.ndarray, rng: np.random.Generator, version: int = 0) -> pa.Table:
    n = len(keys)
    cents = rng.integers(500, 50_000, n)
    ts = EPOCH_US + keys * 3_000_000 + version
    return pa.table(
        {
            "order_id": pa.array(keys, pa.int64()),
            "customer_id": pa.array(rng.integers(1, 200_000, n), pa.int64()),
            "status": pa.array(STATUSES[rng.integers(0, 5, n)]),
            "order_ts": pa.array(ts, pa.timestamp("us", tz="UTC")),
            "total_amount": pa.array(cents, pa.int32()).cast(pa.decimal128(12, 2)),
            "currency": pa.array(np.full(n, "EUR")),
            "shipping_country": pa.array(np.array(["DE", "FR", "PL", "IE"])[rng.integers(0, 4, n)]),
            "note": pa.array([None] * n, pa.string()),
            "updated_at": pa.array(ts + version * 1000, pa.timestamp("us", tz="UTC")),
        }
    ).cast(ORDERS.arrow_schema())


def base_table(n: int, seed: int = 1) -> pa.Table:
    return orders_rows(np.arange(1, n + 1, dtype=np.int64), np.random.default_rng(seed))


def change_batch(max_key: int, size: int, seed: int, batch_no: int) -> tuple[pa.Table, int]:
    """(changes with an `Op` column first, the new max key)."""
    rng = np.random.default_rng(seed * 1000 + batch_no)
    n_ins, n_upd = int(size * INSERT_SHARE), int(size * UPDATE_SHARE)
    n_del = size - n_ins - n_upd
    touched = n_upd + n_del
    hot = rng.random(touched) < HOT_SHARE
    hot_low = max(1, max_key - max_key // HOT_KEYS_PART)
    keys = np.where(hot, rng.integers(hot_low, max_key + 1, touched), rng.integers(1, max_key + 1, touched))
    new_keys = np.arange(max_key + 1, max_key + 1 + n_ins, dtype=np.int64)
    all_keys = np.concatenate([keys, new_keys])
    ops = np.array(["U"] * n_upd + ["D"] * n_del + ["I"] * n_ins)
    order = rng.permutation(len(all_keys))
    rows = orders_rows(all_keys[order], rng, version=batch_no + 1)
    # as a DMS task configured per the README writes them: commit time and AR_H_CHANGE_SEQ
    commit_us = EPOCH_US + batch_no * 60_000_000 + np.arange(len(all_keys), dtype=np.int64)
    seqs = [f"{batch_no:016d}{i:019d}" for i in range(len(all_keys))]
    rows = rows.add_column(0, "_change_seq", pa.array(seqs))
    rows = rows.add_column(0, "_commit_ts", pa.array(commit_us, pa.timestamp("us", tz="UTC")))
    return rows.add_column(0, "Op", pa.array(ops[order])), max_key + n_ins
