"""Freshness: seconds from a Postgres commit until the row is visible in the processed Delta
table and in the warehouse's fct_orders, with `make dev` (sensors, automation) running.

    make bench-freshness    # or: python -m bench.freshness --changes 50 --every 5

Each change stamps one order's `updated_at` with a unique time; changes keep coming every few
seconds while the earlier ones travel, and both places are polled for all of them.
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
from dagster import DagsterInstance

from bench.run import machine
from platform_assets.contracts import contract
from platform_assets.definitions import automation
from platform_assets.demo import qualified_model
from platform_assets.lake import Lake
from platform_assets.orchestration.capture_sensor import cdc_capture_sensor
from platform_assets.profile import resources_for
from platform_assets.settings import locations
from platform_assets.storage.delta import open_table

ORDERS = contract("orders")


def _seen_in_processed(lake: Lake, pending: dict[int, datetime]) -> set[int]:
    dt = open_table(lake, "processed", "orders")
    ids = list(pending)
    buckets = sorted({i // ORDERS.key_bucket_size for i in ids})
    rows = dt.to_pyarrow_dataset().to_table(
        columns=["order_id", "updated_at"],
        filter=ds.field("_key_bucket").isin(buckets) & ds.field("order_id").isin(ids),
    )
    return {
        i
        for i, ts in zip(rows["order_id"].to_pylist(), rows["updated_at"].to_pylist(), strict=True)
        if pending.get(i) == ts
    }


def _seen_in_warehouse(pending: dict[int, datetime]) -> set[int]:
    if not pending:
        return set()
    try:
        with duckdb.connect(str(locations().warehouse_path), read_only=True) as db:
            rows = db.execute(
                f"SELECT order_id, updated_at FROM {qualified_model(db, 'fct_orders')} "  # noqa: S608 -- qualified_model() quotes with sql_ident()
                f"WHERE order_id IN ({', '.join(map(str, pending))})"
            ).fetchall()
    except duckdb.IOException:  # dbt holds the write lock for a moment
        return set()
    return {i for i, ts in rows if ts.replace(tzinfo=UTC) == pending[i].replace(tzinfo=UTC)}


def measure(changes: int, every: float, timeout: float) -> dict:
    """One change every `every` seconds while earlier ones are still on their way, as a busy
    source would; each is timed from its commit to its first sighting in each place."""
    lake = Lake(str(locations().lake_root))
    dsn = resources_for()["oltp"].resolved_dsn()
    committed: dict[int, float] = {}
    stamps: dict[int, datetime] = {}
    to_processed: dict[int, float] = {}
    to_warehouse: dict[int, float] = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        top = conn.execute("SELECT max(order_id) FROM orders").fetchone()[0]
        next_change = time.monotonic()
        i = 0
        while True:
            now = time.monotonic()
            if i < changes and now >= next_change:
                order_id = top - i
                stamp = (datetime.now(UTC) + timedelta(days=3650)).replace(microsecond=(i * 7919) % 10**6)
                conn.execute("UPDATE orders SET updated_at = %s WHERE order_id = %s", (stamp, order_id))
                committed[order_id], stamps[order_id] = time.monotonic(), stamp
                next_change += every
                i += 1
            waiting_p = {k: v for k, v in stamps.items() if k not in to_processed}
            for k in _seen_in_processed(lake, waiting_p) if waiting_p else ():
                to_processed[k] = time.monotonic() - committed[k]
                print(f"order {k}: processed after {to_processed[k]:.1f} s", flush=True)
            waiting_w = {k: v for k, v in stamps.items() if k not in to_warehouse}
            for k in _seen_in_warehouse(waiting_w):
                to_warehouse[k] = time.monotonic() - committed[k]
                print(f"order {k}: fct_orders after {to_warehouse[k]:.1f} s", flush=True)
            late = [k for k in waiting_w if time.monotonic() - committed[k] > timeout]
            if i >= changes and (len(to_warehouse) + len(late) >= changes):
                break
            time.sleep(0.25)
    return {
        "changes": changes,
        "seconds_between_changes": every,
        "sensor_interval_s": {s.name: s.minimum_interval_seconds for s in (cdc_capture_sensor, automation)},
        "run_queue_interval_s": DagsterInstance.get().run_coordinator.dequeue_interval_seconds,
        "processed": _stats(list(to_processed.values()), changes),
        "fct_orders": _stats(list(to_warehouse.values()), changes),
        "measured_at": datetime.now(UTC).isoformat(),
    }


def _stats(values: list[float], expected: int) -> dict:
    ok = sorted(values)
    if not ok:
        return {"arrived": 0, "expected": expected}
    return {
        "arrived": len(ok),
        "expected": expected,
        "median_s": round(statistics.median(ok), 2),
        "p95_s": round(ok[min(len(ok) - 1, int(0.95 * len(ok)))], 2),
        "max_s": round(ok[-1], 2),
    }


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--changes", type=int, default=50)
    p.add_argument("--every", type=float, default=5.0, help="seconds between changes")
    p.add_argument("--timeout", type=float, default=180)
    args = p.parse_args()
    result = measure(args.changes, args.every, args.timeout)
    # one entry per change rate: a busier source queues more work in the single-writer warehouse
    out = Path(__file__).parent / "results" / "freshness.json"
    recorded = json.loads(out.read_text()) if out.exists() else {}
    runs = recorded.get("runs", {})
    runs[f"one change every {args.every:g} s"] = result
    out.write_text(json.dumps({"machine": machine(), "runs": runs}, indent=2))
    print(json.dumps(result, indent=2))
