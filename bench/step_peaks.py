"""Peak memory of each step of the main job on its own, a fresh process per step.

python -m bench.step_peaks --home /tmp/scale [--code /path/to/checkout] [--label after]

`--home` holds a seeded shop (a `lakehouse demo` or `oltp seed` ran there). The steps run
one after another on a scratch lake under the home (`step-peaks/`): the full load, the apply
of every table, the curated rebuild of every table, the warehouse load into a scratch DuckDB
file. Each in its own process, so its peak RSS (ru_maxrss) is the step's alone, not memory
an earlier step left behind. `--code` runs another checkout's code on the same data (the
before of a before/after). Results are appended to bench/results/main_job_scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).parent / "results"

_PRELUDE = """
import json, resource, sys, time
from platform_assets.contracts import CONTRACTS
from platform_assets.lake import Lake
lake = Lake(sys.argv[1])
t0 = time.perf_counter()
"""
_EPILOGUE = """
print(json.dumps({"wall_s": round(time.perf_counter() - t0, 1),
                  "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}))
"""
STEPS = {
    "full load": """
from platform_assets.raw.full_load import full_load
from platform_assets.resources import OltpResource
from platform_assets.settings import locations
dsn = OltpResource(data_dir=str(locations().oltp_data_dir)).resolved_dsn()
full_load(dsn, lake, list(CONTRACTS.values()))
""",
    "apply": """
from platform_assets.processed.apply import apply_pending
for c in CONTRACTS.values():
    apply_pending(lake, c)
""",
    "curate": """
from platform_assets.curated.refresh import refresh_curated
for c in CONTRACTS.values():
    refresh_curated(lake, c)
""",
    "warehouse load": """
from platform_assets.warehouse.loader import DuckDBCuratedLoader
DuckDBCuratedLoader(path=sys.argv[2]).load(lake, list(CONTRACTS.values()))
""",
}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--home", required=True)
    p.add_argument("--code", help="a checkout whose platform_assets to run (default: this one)")
    p.add_argument("--label", default="")
    p.add_argument("--keep", action="store_true", help="keep the scratch lake (for --only)")
    p.add_argument("--only", choices=list(STEPS), help="one step, on the lake a --keep run left")
    args = p.parse_args()
    scratch = Path(args.home) / "step-peaks"
    if args.only:
        (scratch / "w.db").unlink(missing_ok=True)
    else:
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
    env = {**os.environ, "PLATFORM_HOME": args.home}
    if args.code:
        env["PYTHONPATH"] = args.code
    load_before = os.getloadavg()
    steps = {}
    for name, body in STEPS.items():
        if args.only and name != args.only:
            continue
        done = subprocess.run(  # noqa: S603 -- the benchmark's own fixed code
            [sys.executable, "-c", _PRELUDE + body + _EPILOGUE, str(scratch / "lake"), str(scratch / "w.db")],
            env=env,
            cwd=args.code or None,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            sys.exit(f"{name} failed:\n{done.stderr[-3000:]}")
        steps[name] = json.loads(done.stdout.strip().splitlines()[-1])
        print(name, steps[name], flush=True)
    from bench.run import machine

    run = {
        "kind": "step peaks (a fresh process per step, same seeded shop)",
        "label": args.label,
        "code": args.code or "this checkout",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "steps": steps,
        "load_average_1_5_15": {"start": load_before, "end": os.getloadavg()},
        "machine": machine(),
    }
    out = RESULTS / "main_job_scale.json"
    runs = json.loads(out.read_text())["runs"] if out.exists() else []
    if not args.only:  # an --only run is a probe, not a record
        out.write_text(json.dumps({"runs": [*runs, run]}, indent=2) + "\n")
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
