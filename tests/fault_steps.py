"""The pipeline steps the fault suite kills, each over a platform home (`<home>/lake`, the
DuckDB warehouse `<home>/warehouse.duckdb`), and a runner that starts one in a real child
process with `PLATFORM_KILL_AT` set.

Children come from a forkserver that imported these steps once (importing the warehouse
loader alone takes ~15 s on a loaded 2-core machine), so a kill costs the step's own work, not
Python's start-up. Each child leads its own process group: after it dies, whatever it
started (a dbt process) is killed too, as when the machine or container running it is lost.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from datetime import date
from pathlib import Path

from platform_assets.contracts import contract
from platform_assets.curated.refresh import refresh_curated
from platform_assets.events_lake import ingest
from platform_assets.lake import Lake
from platform_assets.maintenance.operations import compact, vacuum
from platform_assets.maintenance.targets import targets
from platform_assets.processed.apply import apply_pending
from platform_assets.tables.refs import TableRef
from platform_assets.tables.restore import restore_table
from platform_assets.warehouse.loader import DuckDBCuratedLoader

TABLES = ("products", "orders")  # two tables: a kill can fall between them
EVENT_DAY = date(2026, 3, 1)
RESTORE_TO = 1  # processed.products after its full load, before any CDC file
PII_KEY = "fault-suite-pii-hash-key-0123456789abcdef"


def lake_of(home: Path) -> Lake:
    return Lake(str(Path(home) / "lake"))


def apply(home: Path) -> None:
    for name in TABLES:
        apply_pending(lake_of(home), contract(name))


def curate(home: Path) -> None:
    for name in TABLES:
        refresh_curated(lake_of(home), contract(name))


def load(home: Path) -> None:
    loader = DuckDBCuratedLoader(path=str(Path(home) / "warehouse.duckdb"))
    loader.load(lake_of(home), [contract(n) for n in TABLES])


def land_events(home: Path) -> None:
    ingest.MERGE_BATCH_ROWS = 1_500  # several MERGEs in one run, as a long catch-up makes
    ingest.incremental(lake_of(home), EVENT_DAY, EVENT_DAY)


def maintain(home: Path) -> None:
    (target,) = [t for t in targets(("processed",)) if t.table == "orders"]
    compact(lake_of(home), target)
    vacuum(lake_of(home), target, retention_hours=0, force=True)


def restore(home: Path) -> None:
    ref = TableRef.parse("processed.products")
    restore_table(lake_of(home), ref, str(RESTORE_TO), who="fault-suite", why="a bad load")


def capture(home: Path, dsn: str, slot: str) -> None:
    """Every change in the slot, in batches of about 400 (several files per table)."""
    from platform_assets.raw.cdc_capture.capture import capture_until_empty

    capture_until_empty(dsn, lake_of(home), slot=slot, publication=slot, max_changes=400)


def build_facts(home: Path) -> None:
    """The warehouse's incremental facts (one `dbt build` of them, through their Dagster asset)
    over a home laid out as the platform's (`Locations`) with the warehouse built once."""
    from dagster import AssetSelection, materialize
    from warehouse_data import warehouse_resources

    from platform_assets.settings import Locations
    from platform_assets.warehouse.assets import dbt_assets_definitions, dbt_fact_assets
    from platform_assets.warehouse.curated_copies import warehouse_curated_copies

    loc = Locations(home)
    os.environ["PLATFORM_HOME"] = str(home)  # dbt's paths (profiles.yml reads them)
    os.environ.pop("PLATFORM_ENV", None)
    result = materialize(
        [warehouse_curated_copies, *dbt_assets_definitions],
        selection=AssetSelection.assets(dbt_fact_assets),
        raise_on_error=False,
        resources=warehouse_resources(loc.lake_root, loc.warehouse_path),
    )
    if not result.success:
        raise RuntimeError(f"the dbt build of the facts over {home} failed")


STEPS = {f.__name__: f for f in (apply, curate, load, land_events, maintain, restore, capture, build_facts)}


def _child(step: str, args: tuple, kill_at: str) -> None:
    os.setsid()  # its own process group, so everything it starts dies with it
    os.environ["PLATFORM_KILL_AT"] = kill_at
    os.environ["PLATFORM_PII_HASH_KEY"] = PII_KEY
    STEPS[step](*args)


_context = multiprocessing.get_context("forkserver")
# The platform modules the steps use, not this module: Python 3.11's forkserver ignores the
# parent's sys.path, so it cannot import `fault_steps` (tests/ is not on its path) and would
# silently preload nothing, leaving every child ~12 s of imports.
_context.set_forkserver_preload(
    [
        *(
            f.__module__
            for f in (apply_pending, refresh_curated, compact, restore_table, DuckDBCuratedLoader)
        ),
        ingest.__name__,
        "platform_assets.raw.cdc_capture.capture",
        "platform_assets.warehouse.assets",
        "dagster",
    ]
)


def run_killed(step: str, *args, kill_at: str, timeout: float = 120) -> int | None:
    """Run `step(*args)` in a child process that kills itself at `kill_at`; its exit code
    (-9 when it was killed there)."""
    child = _context.Process(target=_child, args=(step, args, kill_at))
    child.start()
    child.join(timeout)
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    child.join()
    return child.exitcode


def _child_together(step: str, args: tuple, barrier, report) -> None:
    os.environ["PLATFORM_PII_HASH_KEY"] = PII_KEY
    barrier.wait()  # all start together: each reads the table before any commits
    try:
        STEPS[step](*args)
    except Exception as exc:  # reported to the parent: the test judges whether it is clear
        report.send(f"{type(exc).__name__}: {exc}")
        raise SystemExit(1) from None
    report.send("")


def run_together(step: str, *args, copies: int = 2, timeout: float = 120) -> list[str]:
    """Run `step(*args)` in `copies` child processes at once, as two deployments would; each
    one's error ("" when it succeeded)."""
    barrier = _context.Barrier(copies)
    pipes = [_context.Pipe(duplex=False) for _ in range(copies)]
    children = [_context.Process(target=_child_together, args=(step, args, barrier, w)) for _, w in pipes]
    for child in children:
        child.start()
    out = []
    for child, (r, _) in zip(children, pipes, strict=True):
        child.join(timeout)
        out.append(r.recv() if r.poll() else f"no report (exit code {child.exitcode})")
    return out
