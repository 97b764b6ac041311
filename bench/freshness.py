"""Freshness: seconds from a Postgres commit until the row is visible in the processed Delta
table and in the warehouse's fct_orders, with `make dev` (sensors, automation) running.

    .venv/bin/python bench/freshness.py --changes 50

Each change stamps one order's `updated_at` with a unique time, then polls both places.
Writes bench/results/freshness.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import psycopg
import pyarrow.dataset as ds

from platform_assets.contracts import contract
from platform_assets.demo import qualified_model
from platform_assets.lake import Lake
from platform_assets.processed.delta import open_table
from platform_assets.profile import locations, resources_for

ORDERS = contract("orders")


def _in_processed(lake: Lake, order_id: int, stamp: datetime) -> bool:
    dt = open_table(lake, "processed", "orders")
    bucket = order_id // ORDERS.key_bucket_size
    rows = dt.to_pyarrow_dataset().to_table(
        columns=["updated_at"],
        filter=(ds.field("_key_bucket") == bucket) & (ds.field("order_id") == order_id))
    return rows.num_rows == 1 and rows["updated_at"][0].as_py() == stamp


def _in_warehouse(order_id: int, stamp: datetime) -> bool:
    try:
        with duckdb.connect(str(locations().warehouse_path), read_only=True) as db:
            row = db.execute(f"SELECT updated_at FROM {qualified_model(db, 'fct_orders')} "
                             "WHERE order_id = ?", [order_id]).fetchone()
    except duckdb.IOException:  # dbt holds the write lock for a moment
        return False
    return row is not None and row[0].replace(tzinfo=UTC) == stamp.replace(tzinfo=UTC)


def measure(changes: int, timeout: float) -> dict:
    lake = Lake(str(locations().lake_root))
    dsn = resources_for()["oltp"].resolved_dsn()
    to_processed, to_warehouse = [], []
    with psycopg.connect(dsn, autocommit=True) as conn:
        top = conn.execute("SELECT max(order_id) FROM orders").fetchone()[0]
        for i in range(changes):
            order_id = top - i
            stamp = (datetime.now(UTC) + timedelta(days=3650, microseconds=i)).replace(
                microsecond=(i * 7919) % 10**6)
            conn.execute("UPDATE orders SET updated_at = %s WHERE order_id = %s",
                         (stamp, order_id))
            start = time.monotonic()
            seen_p = seen_w = None
            while time.monotonic() - start < timeout and seen_w is None:
                now = time.monotonic() - start
                if seen_p is None and _in_processed(lake, order_id, stamp):
                    seen_p = now
                if seen_p is not None and _in_warehouse(order_id, stamp):
                    seen_w = time.monotonic() - start
                time.sleep(0.25)
            print(f"change {i}: processed {seen_p}, fct_orders {seen_w}", flush=True)
            to_processed.append(seen_p)
            to_warehouse.append(seen_w)
    return {"changes": changes, "processed": _stats(to_processed),
            "fct_orders": _stats(to_warehouse), "measured_at": datetime.now(UTC).isoformat()}


def _stats(values: list[float | None]) -> dict:
    ok = sorted(v for v in values if v is not None)
    if not ok:
        return {"arrived": 0}
    return {"arrived": len(ok), "median_s": round(statistics.median(ok), 2),
            "p95_s": round(ok[min(len(ok) - 1, int(0.95 * len(ok)))], 2),
            "max_s": round(ok[-1], 2)}


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--changes", type=int, default=50)
    p.add_argument("--timeout", type=float, default=180)
    args = p.parse_args()
    result = measure(args.changes, args.timeout)
    out = Path(__file__).parent / "results" / "freshness.json"
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
