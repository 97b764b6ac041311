"""Freshness: seconds from a Postgres commit until the row is visible in the processed Delta
table and in the warehouse's fct_orders.

    make bench-freshness    # both modes; or: python -m bench.freshness [--stream] --changes 50 --every 5

Two ways of carrying the changes:
- the sensors (default): `make dev` runs in another shell; the capture sensor launches one
  run per batch;
- `--stream`: the bench starts `lakehouse stream` (one long-lived run, streaming/) in a
  subprocess (`make dev` may run beside it: the capture sensor then holds back), measures, then
  interrupts it (it stops after the batch in flight) and reads its stage seconds from the
  Dagster instance (DAGSTER_HOME): each change's breakdown is the wait from its commit to the
  lake batch that carried it, that batch's capture, apply and curate, the wait for the next
  warehouse round, and that round's load and dbt.

Each change stamps one order's `updated_at` with a unique time; changes keep coming every few
seconds while the earlier ones travel, and both places are polled for all of them.
Writes bench/results/freshness.json (one entry per mode and change rate).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import psycopg
import pyarrow.dataset as ds
from dagster import DagsterInstance

from bench.run import machine
from platform_assets.contracts import contract
from platform_assets.demo import qualified_model
from platform_assets.lake import Lake
from platform_assets.orchestration.capture_sensor import cdc_capture_sensor
from platform_assets.orchestration.defs import automation
from platform_assets.profile import resources_for
from platform_assets.settings import locations
from platform_assets.storage.delta import open_table
from platform_assets.streaming.batch import STAGES
from platform_assets.streaming.names import STREAM_JOB

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


def measure(changes: int, every: float, timeout: float, commit_walls: dict[int, float] | None = None) -> dict:
    """One change every `every` seconds while earlier ones are still on their way, as a busy
    source would; each is timed from its commit to its first sighting in each place.
    `commit_walls` receives each change's commit time (epoch seconds)."""
    lake = Lake(str(locations().lake_root))
    dsn = resources_for()["oltp"].resolved_dsn()
    load_before = os.getloadavg()  # what else ran skews every number: recorded
    # read first: without DAGSTER_HOME (`make bench-freshness` sets it) fail now, not after the run
    queue_interval = DagsterInstance.get().run_coordinator.dequeue_interval_seconds
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
                if commit_walls is not None:
                    commit_walls[order_id] = time.time()
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
        "run_queue_interval_s": queue_interval,
        "processed": _stats(list(to_processed.values()), changes),
        "fct_orders": _stats(list(to_warehouse.values()), changes),
        "measured_at": datetime.now(UTC).isoformat(),
        "load_average_1_5_15": {"start": load_before, "end": os.getloadavg()},
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


def measure_stream(changes: int, every: float, timeout: float, poll: float = 0.5) -> dict:
    """`measure` with `lakehouse stream` carrying the changes, and each change's breakdown."""
    stream, ready = _start_stream(seconds=changes * every + timeout, poll=poll)
    try:
        if not ready.wait(600):
            raise SystemExit("the stream did not start within 600 s; see its output above")
        walls: dict[int, float] = {}
        result = measure(changes, every, timeout, walls)
    finally:
        stream.send_signal(signal.SIGINT)  # stops after the batch in flight
        stream.wait(120)
    batches, rounds = _stream_batches()
    result["mode"] = "stream (one long-lived run: lake batches, warehouse rounds with dbt in process)"
    result["poll_interval_s"] = poll
    result["breakdown_median_s"] = _breakdown(walls, batches, rounds)
    result["lake_batches"], result["warehouse_rounds"] = len(batches), len(rounds)
    for name in ("sensor_interval_s", "run_queue_interval_s"):
        result.pop(name)
    return result


def _start_stream(seconds: float, poll: float) -> tuple[subprocess.Popen, threading.Event]:
    """`lakehouse stream` in a subprocess; the event is set once its catch-up batch is done."""
    lakehouse = Path(sys.executable).with_name("lakehouse")
    proc = subprocess.Popen(  # noqa: S603 -- the platform's own CLI beside this Python, fixed arguments
        [str(lakehouse), "stream", "--seconds", str(seconds), "--poll", str(poll)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ.copy(),
    )
    ready = threading.Event()

    def follow() -> None:
        for line in proc.stdout:
            if any(w in line for w in ("stream batch ", "warehouse round ", "stream stopped", "rror")):
                print(f"  stream: {line.split(' - ')[-1].strip()}", flush=True)
            if "warehouse round 1:" in line:  # the catch-up is done
                ready.set()

    threading.Thread(target=follow, daemon=True).start()
    return proc, ready


def _stream_batches() -> tuple[list[dict], list[dict]]:
    """The last stream run's lake batches and warehouse rounds: start (epoch s) and stage
    seconds, from the metadata of its processed.orders and fct_orders materializations."""
    from dagster import DagsterEventType, EventRecordsFilter, RunsFilter

    instance = DagsterInstance.get()
    run = instance.get_runs(filters=RunsFilter(job_name=STREAM_JOB), limit=1)[0]
    records = instance.get_event_records(
        EventRecordsFilter(event_type=DagsterEventType.ASSET_MATERIALIZATION), limit=100_000
    )
    found: dict[str, dict[int, dict]] = {"stream_batch": {}, "warehouse_round": {}}
    for r in records:
        m = r.asset_materialization
        if r.run_id != run.run_id or m is None:
            continue
        counter = {"processed/orders": "stream_batch", "warehouse/fct_orders": "warehouse_round"}.get(
            m.asset_key.to_user_string()
        )
        if counter is None:
            continue
        meta = {k: getattr(v, "value", v) for k, v in m.metadata.items()}
        found[counter][meta[counter]] = {
            "started_at": datetime.fromisoformat(meta["batch_started_at"]).timestamp(),
            **{s: meta[f"{s}_s"] for s in STAGES if f"{s}_s" in meta},
        }
    return (
        [found["stream_batch"][b] for b in sorted(found["stream_batch"])],
        [found["warehouse_round"][b] for b in sorted(found["warehouse_round"])],
    )


def _breakdown(walls: dict[int, float], batches: list[dict], rounds: list[dict]) -> dict:
    """Median over changes of: the wait from commit to the start of the first lake batch after
    it (the one whose capture read it), its capture, apply and curate; the wait from there to
    the start of the next warehouse round, and that round's load and dbt."""
    lake, warehouse = ("capture", "apply", "curate"), ("load", "dbt")
    parts: dict[str, list[float]] = {
        k: [] for k in ("wait_for_batch", *lake, "wait_for_warehouse", *warehouse)
    }
    for committed in walls.values():
        batch = next((b for b in batches if b["started_at"] >= committed), None)
        if batch is None:
            continue
        parts["wait_for_batch"].append(batch["started_at"] - committed)
        for s in lake:
            parts[s].append(batch[s])
        curated_at = batch["started_at"] + sum(batch[s] for s in lake)
        round_ = next((r for r in rounds if r["started_at"] >= curated_at), None)
        if round_ is None:
            continue
        parts["wait_for_warehouse"].append(round_["started_at"] - curated_at)
        for s in warehouse:
            parts[s].append(round_.get(s, 0.0))
    return {k: round(statistics.median(v), 2) if v else None for k, v in parts.items()}


def _record(name: str, result: dict) -> None:
    # one entry per mode and change rate: a busier source queues more work in the warehouse
    out = Path(__file__).parent / "results" / "freshness.json"
    recorded = json.loads(out.read_text()) if out.exists() else {}
    runs = recorded.get("runs", {})
    runs[name] = result
    out.write_text(json.dumps({"machine": machine(), "runs": runs}, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--changes", type=int, default=50)
    p.add_argument("--every", type=float, default=5.0, help="seconds between changes")
    p.add_argument("--timeout", type=float, default=180)
    p.add_argument("--stream", action="store_true", help="carry the changes with `lakehouse stream`")
    args = p.parse_args()
    if args.stream:
        _record(
            f"stream, one change every {args.every:g} s",
            measure_stream(args.changes, args.every, args.timeout),
        )
    else:
        _record(f"one change every {args.every:g} s", measure(args.changes, args.every, args.timeout))
