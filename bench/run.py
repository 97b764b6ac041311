"""`make bench`: run the benchmarks and record JSON + a Markdown table in bench/results/.

python -m bench.run --mode quick   # CI: checks the benchmarks still run (small sizes)
python -m bench.run --mode full    # by hand: 1M and 10M rows, batches 1k/20k/200k
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from bench.cdc_apply import run_size

RESULTS = Path(__file__).parent / "results"
MODES = {
    "quick": {"rows": [50_000, 200_000], "batches": [1_000, 20_000], "repeats": 2, "demo_orders": 5_000},
    "full": {
        "rows": [1_000_000, 10_000_000],
        "batches": [1_000, 20_000, 200_000],
        "repeats": 3,
        "demo_orders": 100_000,
    },
}
ENGINES = ["platform", "platform_merge_only", "delta_untuned", "dbt_duckdb_merge", "duckdb_native_merge"]


def machine() -> dict:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        "versions": {p: version(p) for p in ("deltalake", "duckdb", "pyarrow", "dbt-duckdb", "dagster")},
    }


def code_location_load() -> float:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "DAGSTER_HOME": str(root)}
    start = time.perf_counter()
    subprocess.run(  # noqa: S603 -- the benchmark's own fixed argv
        [str(Path(sys.executable).with_name("dagster")), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    return round(time.perf_counter() - start, 2)


# Runs the demo as its only child and prints that child's peak RSS: the bench's own
# RUSAGE_CHILDREN would also count earlier children (dbt builds over 10M rows reach GiBs).
_PEAK_OF_ONE_CHILD = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "sys.stderr.write(done.stderr)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(done.returncode)\n"
)


def demo_run(orders: int) -> dict:
    """Wall time and peak memory of the main job (`lakehouse demo`) on a fresh home."""
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as home:
        env = {**os.environ, "PLATFORM_HOME": home}
        env.pop("DAGSTER_HOME", None)  # an ephemeral instance: the bench leaves no runs behind
        start = time.perf_counter()
        done = subprocess.run(  # noqa: S603 -- the benchmark's own fixed argv
            [
                sys.executable,
                "-c",
                _PEAK_OF_ONE_CHILD,
                str(Path(sys.executable).with_name("lakehouse")),
                "demo",
                "--orders",
                str(orders),
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - start
        if done.returncode != 0:  # record it; the other benchmarks' results still count
            return {
                "orders": orders,
                "error": (done.stderr.strip().splitlines() or ["?"])[-1],
                "wall_s": None,
                "peak_rss_mib": None,
            }
        subprocess.run(  # noqa: S603 -- the benchmark's own fixed argv
            [str(Path(sys.executable).with_name("lakehouse")), "oltp", "stop"],
            env=env,
            check=True,
            capture_output=True,
        )
    peak_kib = int(done.stdout.strip().splitlines()[-1])
    return {"orders": orders, "wall_s": round(wall, 1), "peak_rss_mib": round(peak_kib / 1024)}


def summarize(size: dict) -> list[str]:
    lines = []
    for engine, r in size["engines"].items():
        by_batch: dict[int, list[dict]] = {}
        for b in r["batches"]:
            by_batch.setdefault(b["batch"], []).append(b)
        for batch, runs in by_batch.items():
            secs, readers = statistics.median(x["seconds"] for x in runs), r["readers_after"]
            rewritten = runs[-1].get("rows_rewritten")
            frac = f"{rewritten / size['rows']:.1%}" if rewritten is not None else "n/a"
            strategies = sorted({x["strategy"] for x in runs if x.get("strategy")})
            label = f"{engine} ({', '.join(strategies)})" if strategies else engine
            lines.append(
                f"| {size['rows']:,} | {label} | {batch:,} | {secs:.3f} | "
                f"{batch / secs:,.0f} | {runs[-1].get('write_amplification', 'n/a')} | "
                f"{frac} | {readers.get('full_scan_first_s', 'n/a')} | {readers['full_scan_s']} | "
                f"{readers['key_lookup_s']} | "
                f"{readers.get('key_lookup_all_files_s', 'n/a')} | {r['files_after'] or 'n/a'} |"
            )
    return lines


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=list(MODES), default="quick")
    p.add_argument("--rows", help="comma-separated table sizes instead of the mode's")
    p.add_argument(
        "--apply-only",
        action="store_true",
        help="only the CDC apply (no code location load, no demo); written as cdc_apply_<mode>_apply_only",
    )
    args = p.parse_args()
    cfg = MODES[args.mode]
    rows = [int(n) for n in args.rows.split(",")] if args.rows else cfg["rows"]
    started = datetime.now(UTC)
    load_before = os.getloadavg()  # other processes on the machine skew every number: recorded
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        sizes = [run_size(n, cfg["batches"], cfg["repeats"], Path(tmp), ENGINES) for n in rows]
    result = {
        "mode": args.mode,
        "date": started.isoformat(),
        "wall_s": round((datetime.now(UTC) - started).total_seconds(), 1),
        "machine": machine(),
        "load_average_1_5_15": {"start": load_before, "end": os.getloadavg()},
        "cdc_apply": sizes,
    }
    if not args.apply_only:
        result["code_location_load_s"] = code_location_load()
        result["demo"] = demo_run(cfg["demo_orders"])
    name = f"cdc_apply_{args.mode}" + ("_apply_only" if args.apply_only else "")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2))
    md = [
        f"# CDC apply benchmark ({args.mode}), {started:%Y-%m-%d}",
        f"Machine: {result['machine']['cpu']}, {result['machine']['cores']} cores, "
        f"{result['machine']['memory_gib']} GiB; versions {result['machine']['versions']}",
        f"Load average (1/5/15 min) at start {load_before}, at end {result['load_average_1_5_15']['end']}",
    ]
    if not args.apply_only:
        md += [
            f"Code location load (`dagster definitions validate`): {result['code_location_load_s']} s",
            f"Main job (`lakehouse demo`, {result['demo']['orders']:,} orders, fresh home): "
            f"{result['demo']['wall_s']} s, peak RSS {result['demo']['peak_rss_mib']} MiB "
            "(largest child process)",
        ]
    md += [
        "",
        "| rows | engine | batch | seconds (median) | changes/s | write amp. | table rewritten |"
        " first full scan s | full scan s (median of the next 5) | key lookup s (file skipping) |"
        " key lookup s (every file) | files |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size in sizes:
        md += summarize(size)
        md.append(
            f"| {size['rows']:,} | parquet floor | {cfg['batches'][0]:,} | "
            f"{size['parquet_floor_first_batch']['seconds']:.4f} | | | | | | | | |"
        )
        md.append(
            f"| {size['rows']:,} | parquet floor, whole table | | "
            f"{size['parquet_floor_table']['seconds']:.3f} | | | | | | | | |"
        )
    (RESULTS / f"{name}.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
