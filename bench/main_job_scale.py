"""The main job at scale: `lakehouse demo --orders N` in this process, with its peak memory per step.

python -m bench.main_job_scale --orders 1000000 [--home /tmp/scale] [--label after]

A sampler thread reads this process's RSS (and its children's: dbt runs in subprocesses)
every 50 ms and charges it to the step the main thread is in, found on its stack: the seed,
the clickstream landing, the full load, the apply, curation, the warehouse load, dbt, else
the outermost platform function (an asset's body). The run is appended to
bench/results/main_job_scale.json (machine, load average before and after, wall time,
peak RSS, per-step peaks); the home is fresh unless --home names one that exists.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

RESULTS = Path(__file__).parent / "results"
# the functions a sample is charged to (module and name: `raw/positions.py` has a `full_load`
# too, which the apply calls, and charging by name alone put the apply's peak on the full
# load), innermost match first
STEPS = {
    "sources/oltp/seed.py:seed": "seed (Postgres)",
    "platform_assets/demo.py:land_clickstream": "land clickstream",
    "raw/full_load.py:full_load": "full load",
    "processed/apply.py:apply_pending": "apply",
    "curated/refresh.py:refresh_curated": "curate",
    "warehouse/loader.py:load_tables": "warehouse load",
    "platform_assets/demo.py:summary": "summary",
}
MIB = 2**20


class StepSampler(threading.Thread):
    def __init__(self, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.interval, self.main = interval, threading.main_thread().ident
        self.peaks: dict[str, dict[str, float]] = {}
        self.stop = threading.Event()
        self.me = psutil.Process()

    def step(self) -> str:
        frame = sys._current_frames().get(self.main)  # noqa: SLF001 -- a sampler's one way in
        outermost = "other"
        while frame is not None:
            name = frame.f_code.co_name
            path = frame.f_code.co_filename
            where = f"{Path(path).parent.parent.name}/{Path(path).parent.name}/{Path(path).name}:{name}"
            step = next((v for k, v in STEPS.items() if where.endswith(k)), None)
            if step and "platform_assets" in path:
                return step
            if "dagster_dbt" in path:  # waiting on a dbt subprocess
                return "dbt"
            if "platform_assets" in path and not path.endswith(("demo.py", "__init__.py")):
                outermost = f"{Path(path).parent.name}/{Path(path).stem}.{name}"
            frame = frame.f_back
        return outermost

    def run(self) -> None:
        last = time.perf_counter()
        while not self.stop.wait(self.interval):
            try:
                own = round(self.me.memory_info().rss / MIB)
                kids = round(sum(k.memory_info().rss for k in self.me.children(recursive=True)) / MIB)
            except psutil.Error:
                continue
            now = time.perf_counter()
            # entered_mib: the RSS when the step was first seen (what earlier steps left behind)
            step = self.peaks.setdefault(
                self.step(), {"process_mib": 0, "entered_mib": own, "children_mib": 0, "seconds": 0}
            )
            step["process_mib"] = max(step["process_mib"], own)
            step["children_mib"] = max(step["children_mib"], kids)
            step["seconds"] = round(step["seconds"] + now - last, 1)
            last = now


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--orders", type=int, required=True)
    p.add_argument("--home", help="PLATFORM_HOME to use (a fresh temporary one by default)")
    p.add_argument("--label", default="", help="what this run measures, e.g. before / after")
    p.add_argument("--keep", action="store_true", help="keep a temporary home")
    args = p.parse_args()
    home = Path(args.home or tempfile.mkdtemp(prefix="main-job-scale-"))
    os.environ["PLATFORM_HOME"] = str(home)
    os.environ.pop("DAGSTER_HOME", None)  # an ephemeral instance: no runs left behind

    from bench.run import machine
    from platform_assets.demo import demo

    load_before = os.getloadavg()
    started = datetime.now(UTC)
    sampler = StepSampler()
    sampler.start()
    t0 = time.perf_counter()
    try:
        demo(args.orders)
    finally:
        wall = time.perf_counter() - t0
        sampler.stop.set()
        sampler.join()
        lakehouse = str(Path(sys.executable).with_name("lakehouse"))
        subprocess.run([lakehouse, "oltp", "stop"], check=False, capture_output=True)  # noqa: S603
    import resource

    run = {
        "label": args.label,
        "date": started.isoformat(timespec="seconds"),
        "orders": args.orders,
        "wall_s": round(wall, 1),
        # ru_maxrss: this process's own peak (the kernel's, not sampled); children: largest one
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "peak_child_rss_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "steps": dict(sorted(sampler.peaks.items(), key=lambda kv: -kv[1]["process_mib"])),
        "load_average_1_5_15": {"start": load_before, "end": os.getloadavg()},
        "machine": machine(),
    }
    print(json.dumps(run, indent=2))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "main_job_scale.json"
    runs = json.loads(out.read_text())["runs"] if out.exists() else []
    out.write_text(json.dumps({"runs": [*runs, run]}, indent=2) + "\n")
    if not args.home and not args.keep:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
