"""No regression elsewhere: the main job's wall time and peak memory, the code location's load
time and the event ingest rate, each beside its previous recorded value.

    make bench-regression    # or: python -m bench.regression [--orders 100000] [--events 200000]

The previous value of each is the last run recorded in bench/results/regression.json; before
the first such run, the values recorded by `make bench-full` (cdc_apply_full.json: demo and
code location) and `python -m bench.bench_events` (events.json). Every run is appended, with
the machine and its load average, so the history stays readable. Writes regression.json and
regression.md.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import UTC, datetime
from pathlib import Path

from bench import bench_events
from bench.run import code_location_load, demo_run, machine

RESULTS = Path(__file__).parent / "results"
HISTORY = RESULTS / "regression.json"
# (label, unit, whether lower is better)
MEASURES = {
    "demo_wall_s": ("`lakehouse demo` wall time", "s", True),
    "demo_peak_rss_mib": ("`lakehouse demo` peak memory", "MiB", True),
    "code_location_load_s": ("code location load (`dagster definitions validate`)", "s", True),
    "event_ingest_per_s": ("event ingest, incremental (events/s)", "events/s", False),
}


def _earlier_results() -> dict:
    """The values the other benchmarks recorded, for the first comparison."""
    full = json.loads((RESULTS / "cdc_apply_full.json").read_text())
    events = json.loads((RESULTS / "events.json").read_text())
    return {
        "measured_at": full["date"],
        "source": "cdc_apply_full.json (demo, code location), events.json (event ingest)",
        "demo_orders": full["demo"]["orders"],
        "demo_wall_s": full["demo"]["wall_s"],
        "demo_peak_rss_mib": full["demo"]["peak_rss_mib"],
        "code_location_load_s": full["code_location_load_s"],
        "event_ingest_per_s": events["incremental"]["events_per_second"],
    }


def measure(orders: int, events: int) -> dict:
    load = os.getloadavg()
    demo = demo_run(orders)
    ingest = bench_events.run(events, repeats=2)
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": "bench/regression.py",
        "machine": machine(),
        "load_average_1_5_15": {"start": load, "end": os.getloadavg()},
        "demo_orders": orders,
        "demo_wall_s": demo["wall_s"],
        "demo_peak_rss_mib": demo["peak_rss_mib"],
        "code_location_load_s": code_location_load(),
        "event_ingest_per_s": ingest["incremental"]["events_per_second"],
        "event_records": ingest["input"]["records"],
    }


def report(previous: dict, now: dict) -> list[str]:
    lines = [
        "# No regression elsewhere",
        "",
        f"Now: {now['measured_at']}, {now['machine']['cpu']}, {now['machine']['cores']} cores; load average "
        f"(1/5/15 min) {now['load_average_1_5_15']['start']} at start, {now['load_average_1_5_15']['end']} "
        f"at end. Previous: {previous['measured_at']} ({previous['source']}). The demo ran "
        f"{now['demo_orders']:,} orders now and {previous['demo_orders']:,} before.",
        "",
        "| measure | previous | now | change |",
        "|---|---|---|---|",
    ]
    for key, (label, unit, lower_is_better) in MEASURES.items():
        before, after = previous.get(key), now.get(key)
        if before is None or after is None:
            lines.append(f"| {label} | {before} | {after} | n/a |")
            continue
        change = after / before
        worse = change > 1.1 if lower_is_better else change < 0.9
        lines.append(
            f"| {label} | {before:,} {unit} | {after:,} {unit} | {change:.2f}x{' (worse)' if worse else ''} |"
        )
    return lines


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--orders", type=int, default=100_000)
    p.add_argument("--events", type=int, default=200_000)
    args = p.parse_args()
    runs = json.loads(HISTORY.read_text())["runs"] if HISTORY.exists() else []
    previous = runs[-1] if runs else _earlier_results()
    now = measure(args.orders, args.events)
    HISTORY.write_text(json.dumps({"runs": [*runs, now]}, indent=2) + "\n")
    md = report(previous, now)
    (RESULTS / "regression.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
