"""The stream's two halves, timed per stage: lake batches (capture -> apply -> curate) and
warehouse rounds (load -> dbt) of what the lake batches curated meanwhile.

Why two halves (the job runs them in two threads): a dbt build takes seconds, and a change
should reach the processed table while the facts of the previous batch are still building;
the warehouse round then takes every table curated since the last one, as one load and one
build.

Each stage calls the step function its asset runs, on the tables the batch changed, so the
rules are the per-batch runs': the capture writes its files before it records the slot and
then advances it, the apply commits the watermark with the data and quarantines bad files,
curated follows the change feed, the loader copies each Delta file once, dbt's tests gate the
models; the killpoints inside those steps are reached as in the assets.

The first batch of a stream catches up: it applies and curates every table, and the first
round loads every table and builds the whole chain once, so whatever an interrupted earlier
run left half way (files captured but not applied, a dbt build that failed) is finished
before the stream goes on.

The local warehouse is one DuckDB file with one writer. When another process holds it (a
marts rebuild, a reader) past the loader's and dbt's own waits, the batch does not fail: the
lake is committed, and the tables still to load or build carry over to the next poll, which
retries them whether or not new changes came.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dagster import AssetKey, AssetMaterialization, MetadataValue

from platform_assets.contracts import CONTRACTS
from platform_assets.curated.assets import curated_metadata
from platform_assets.curated.refresh import refresh_curated
from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.processed.apply import apply_pending
from platform_assets.processed.compute.report import apply_metadata, apply_warnings, nothing_happened
from platform_assets.raw.assets import PUBLICATION, SLOT
from platform_assets.raw.cdc_capture.capture import capture_once
from platform_assets.streaming.dbt_in_process import InProcessDbt
from platform_assets.streaming.selection import chain_models, is_fact
from platform_assets.warehouse.keys import curated_copy_key
from platform_assets.warehouse.load_sql import curated_copy
from platform_assets.warehouse.loader import CuratedLoader
from platform_assets.warehouse.partitions import FACT_PARTITIONS

STAGES = ("capture", "apply", "curate", "load", "dbt")
LOCKED = "lock"  # DuckDB's "Could not set lock on file", through the loader or dbt


def warehouse_busy(exc: BaseException) -> bool:
    """Another process holds the local warehouse file (not a failure of the batch's data)."""
    return LOCKED in str(exc).lower() and "duckdb" in f"{type(exc).__module__} {exc}".lower()


@dataclass
class BatchReport:
    number: int
    started_at: float  # epoch seconds when the capture began
    seconds: dict[str, float]  # per stage in STAGES
    changes: dict[str, int]  # changes captured, per table
    refreshed: list[tuple[AssetKey, dict, str | None]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counter: str = "stream_batch"  # or "warehouse_round": which sequence `number` counts
    deferred: list[str] = field(default_factory=list)  # tables waiting for the warehouse

    def add(self, key, metadata: dict, partition: str | None = None) -> None:
        self.refreshed.append((AssetKey.from_coercible(key), metadata, partition))

    def materializations(self) -> list[AssetMaterialization]:
        """One per asset the batch refreshed, each with the batch's stage seconds."""
        extra = self.stage_metadata()
        return [AssetMaterialization(k, partition=p, metadata={**m, **extra}) for k, m, p in self.refreshed]

    def stage_metadata(self) -> dict:
        """What every materialization of the batch carries: which batch, when, how long."""
        return {
            self.counter: self.number,
            "batch_started_at": datetime.fromtimestamp(self.started_at, UTC).isoformat(),
            **{f"{s}_s": round(v, 3) for s, v in self.seconds.items()},
        }

    def line(self) -> str:
        stages = ", ".join(f"{s} {v:.2f} s" for s, v in self.seconds.items())
        total = sum(self.seconds.values())
        deferred = f"; warehouse busy, retrying {self.deferred}" if self.deferred else ""
        what = (
            f"{sum(self.changes.values())} changes {self.changes or ''} "
            if self.counter == "stream_batch"
            else ""
        )
        return (
            f"{self.counter.replace('_', ' ')} {self.number}: {what}in {total:.2f} s ({stages}); "
            f"{len(self.refreshed)} assets refreshed{deferred}"
        )


@dataclass
class StreamSteps:
    """The stream's state between batches: where it reads and writes, and what is left to do
    in the warehouse."""

    lake: Lake
    dsn: str
    loader: CuratedLoader
    dbt: InProcessDbt
    max_changes: int = 20_000
    to_load: set[str] = field(default_factory=set)  # tables curated but not yet loaded
    to_build: set[str] = field(default_factory=set)  # tables loaded but not yet built by dbt
    batches: int = 0  # lake batches
    rounds: int = 0  # warehouse rounds
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def lake_batch(self, catch_up: bool = False) -> BatchReport | None:
        """Capture, apply and curate one batch; None when the slot had nothing. What it curated
        waits in `to_load` for the warehouse (`warehouse_round`, another thread)."""
        started, seconds = time.time(), {}
        with _timed(seconds, "capture"):
            captured = capture_once(
                self.dsn, self.lake, slot=SLOT, publication=PUBLICATION, max_changes=self.max_changes
            )
        if not (captured.changes or catch_up):
            return None
        scope = set(CONTRACTS) if catch_up else set(captured.changes)
        self.batches += 1
        report = BatchReport(self.batches, started, seconds, dict(captured.changes), counter="stream_batch")
        for name, n in sorted(captured.changes.items()):
            c = CONTRACTS[name]
            files = [f for f in captured.files if f"/{c.schema}/{c.name}/" in f]
            report.add(
                ["raw", name],
                {"cdc_changes": n, "files_written": len(files), "last_file": files[-1] if files else ""}
                | {"slot_lsn": captured.end_lsn or ""},
            )
        with _timed(seconds, "apply"):
            applied = self._apply(sorted(scope), report)
        with _timed(seconds, "curate"):
            curated = self._curate(sorted(scope if catch_up else applied), report)
        with self._lock:
            self.to_load |= scope if catch_up else set(curated)
            if catch_up:
                self.to_build |= scope
        return report

    def warehouse_pending(self) -> bool:
        with self._lock:
            return bool(self.to_load or self.to_build)

    def warehouse_round(self) -> BatchReport | None:
        """Load what the lake batches curated and build the chain; None when nothing waits.
        Tables the busy warehouse could not take are put back for the next round."""
        with self._lock:
            to_load, self.to_load = self.to_load, set()
            to_build, self.to_build = self.to_build, set()
        if not (to_load or to_build):
            return None
        self.rounds += 1
        report = BatchReport(self.rounds, time.time(), {}, {}, counter="warehouse_round")
        with _timed(report.seconds, "load"):
            loaded = self._load(to_load, report)
        if loaded is None:
            with self._lock:
                self.to_load |= to_load
                self.to_build |= to_build
            return report
        with _timed(report.seconds, "dbt"):
            built = self._build(to_build | loaded, report)
        if not built:
            with self._lock:
                self.to_build |= to_build | loaded
        return report

    def _apply(self, tables: list[str], report: BatchReport) -> list[str]:
        applied = []
        for name in tables:
            c = CONTRACTS[name]
            result = apply_pending(self.lake, c)
            report.warnings += apply_warnings(c, result)
            metadata = apply_metadata(self.lake, c, result)
            if nothing_happened(metadata):
                continue
            applied.append(name)
            report.add(
                ["processed", name],
                {k: MetadataValue.json(v) if isinstance(v, list) else v for k, v in metadata.items()},
            )
        return applied

    def _curate(self, tables: list[str], report: BatchReport) -> list[str]:
        changed = []
        for name in tables:
            c = CONTRACTS[name]
            r = refresh_curated(self.lake, c)
            if r.mode == "unchanged":
                continue
            changed.append(name)
            report.add(["curated", name], curated_metadata(self.lake, c, r))
        return changed

    def _load(self, tables: set[str], report: BatchReport) -> set[str] | None:
        """Load `tables`; those whose copy changed, or None when the warehouse is busy."""
        if not tables:
            return set()
        try:
            loads = self.loader.load(self.lake, [curated_copy(CONTRACTS[t]) for t in sorted(tables)])
        except Exception as exc:
            if not warehouse_busy(exc):
                raise
            report.deferred = sorted(tables)
            report.warnings.append(f"warehouse busy, the load of {report.deferred} waits: {exc}")
            return None
        loaded = set()
        for r in loads:
            if r.unchanged:
                continue
            loaded.add(r.table)
            report.add(
                curated_copy_key(r.table),
                {
                    "mode": "loaded",
                    "delta_version": r.delta_version,
                    "load_id": MetadataValue.int(r.load_id),
                    "files_added": r.files_added,
                    "files_removed": r.files_removed,
                    "rows_added": r.rows_added,
                    "rows_removed": r.rows_removed,
                    "dagster/row_count": MetadataValue.int(r.rows),
                },
            )
        return loaded

    def _build(self, tables: set[str], report: BatchReport) -> bool:
        """dbt build of the chain of `tables`; False when the warehouse is busy."""
        models = chain_models(tables)
        try:
            result = self.dbt.build(list(models.values()))
        except PlatformError as exc:
            if not warehouse_busy(exc):
                raise
            report.deferred = sorted(tables)
            report.warnings.append(f"warehouse busy, the dbt build for {report.deferred} waits: {exc}")
            return False
        by_id = {n.unique_id: n for n in result.nodes}
        today = FACT_PARTITIONS.get_last_partition_key()
        for key, unique_id in models.items():
            node = by_id.get(unique_id)
            if node is None:
                continue
            metadata = {
                "unique_id": unique_id,
                "dbt_status": node.status,
                "execution_s": round(node.seconds, 3),
            }
            if node.rows_affected is not None:
                metadata["rows_affected"] = node.rows_affected
            report.add(key, metadata, partition=today if is_fact(key) else None)
        return True


@contextmanager
def _timed(seconds: dict[str, float], stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - start
