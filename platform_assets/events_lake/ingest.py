"""Landed event files into the processed `events` table, incrementally or by rebuilding days.

- `incremental(first, last)`: reads the files of the days' arrival window that still hold
  unapplied (file, date) pairs, keeps their valid events of those dates, drops duplicates
  and MERGEs insert-only; then records the pairs. What the sensor runs.
- `rebuild(first, last)`: reads every file of the window and overwrites exactly those
  partitions (a backfill; also repairs a partition by hand). Replaying the raw zone gives the
  same rows as any sequence of incremental runs.
- `catch_up()`: incremental over every date from the contract's first partition to today.

Either way bad records go to quarantine (idempotently) and are counted in the result.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from platform_assets import killpoints
from platform_assets.contracts.events import EVENTS, EventContract
from platform_assets.events_lake import applied, table
from platform_assets.events_lake.read import (
    FileRead,
    quarantine_reasons,
    read_landed,
    rows_in,
    to_arrow,
    write_quarantine,
)
from platform_assets.events_lake.window import arrival_hours, dates_between, possible_dates
from platform_assets.lake import Lake
from platform_assets.raw.firehose_layout import LandedFile, list_hours

MERGE_BATCH_ROWS = 500_000  # bounds memory on a long catch-up


@dataclass
class IngestResult:
    mode: str
    first_day: date
    last_day: date
    files_in_window: int = 0
    files_read: int = 0
    records_read: int = 0
    valid_events: int = 0  # valid records of the covered dates, duplicates included
    distinct_events: int = 0
    rows_inserted: int = 0
    quarantined: int = 0
    quarantine_reasons: Counter = field(default_factory=Counter)
    delta_version: int = -1
    rows_by_day: dict[date, int] = field(default_factory=dict)
    seconds: float = 0.0
    conflict_ids: set[str] = field(default_factory=set)  # event ids seen under two dates

    @property
    def date_conflicts(self) -> int:
        """Event ids with copies on different dates (one is stored: the first landed)."""
        return len(self.conflict_ids)

    @property
    def date_conflict_examples(self) -> list[str]:
        return sorted(self.conflict_ids)[:10]

    def add_reads(self, reads: list[FileRead]) -> None:
        self.files_read += len(reads)
        self.records_read += sum(r.records for r in reads)
        self.quarantined += sum(len(r.quarantined) for r in reads)
        self.quarantine_reasons.update(quarantine_reasons(reads))


def _read(lake: Lake, c: EventContract, files: list[LandedFile]) -> list[FileRead]:
    reads = []
    for f in files:
        r = read_landed(lake, c, f)
        write_quarantine(lake, c, r)
        reads.append(r)
    return reads


def _finish(lake: Lake, c: EventContract, result: IngestResult, started: float) -> IngestResult:
    dt = table.open_or_create(lake, c)
    result.delta_version = dt.version()
    result.rows_by_day = table.count_by_day(lake, c, dates_between(result.first_day, result.last_day))
    result.seconds = time.perf_counter() - started
    return result


def rebuild(lake: Lake, first_day: date, last_day: date, c: EventContract = EVENTS) -> IngestResult:
    started = time.perf_counter()
    result = IngestResult("rebuild", first_day, last_day)
    days = set(dates_between(first_day, last_day))
    files = list_hours(lake, c.stream, *arrival_hours(c, first_day, last_day))
    result.files_in_window = len(files)
    reads = _read(lake, c, files)
    result.add_reads(reads)
    # every date of the files read: a copy on a date outside the range can be the first landed
    everything = to_arrow(c, [row for r in reads for row in r.rows])
    in_days = pc.is_in(everything[c.partition_column], pa.array(sorted(days), pa.date32()))
    result.valid_events = pc.sum(in_days).as_py() or 0
    deduped = table.dedupe(everything, c)
    ours = set(pc.filter(everything[c.key], in_days).to_pylist())
    rows = deduped.rows.filter(
        pc.is_in(deduped.rows[c.partition_column], pa.array(sorted(days), pa.date32()))
    )
    done = table.replace_days(lake, c, rows, first_day, last_day)
    result.conflict_ids |= (deduped.conflicts & ours) | done.conflicts
    result.distinct_events = result.rows_inserted = done.rows_written
    applied.record(lake, _pairs(c, reads, days), done.version)
    return _finish(lake, c, result, started)


def _pairs(c: EventContract, reads: list[FileRead], days: set[date]) -> list[tuple[str, date]]:
    pairs = []
    for r in reads:
        lo, hi = possible_dates(c, r.file.hour)
        pairs += [(r.file.key, d) for d in dates_between(lo, hi) if d in days]
    return pairs


def incremental(lake: Lake, first_day: date, last_day: date, c: EventContract = EVENTS) -> IngestResult:
    started = time.perf_counter()
    result = IngestResult("incremental", first_day, last_day)
    days = set(dates_between(first_day, last_day))
    done = applied.applied_pairs(lake)
    files = list_hours(lake, c.stream, *arrival_hours(c, first_day, last_day))
    result.files_in_window = len(files)
    table.open_or_create(lake, c)
    batch: list[tuple[FileRead, set[date]]] = []
    size = 0

    def flush() -> None:
        nonlocal batch, size
        if not batch:
            return
        rows = to_arrow(c, [row for r, need in batch for row in rows_in(r, need)])
        result.valid_events += rows.num_rows
        deduped = table.dedupe(rows, c)
        result.distinct_events += deduped.rows.num_rows
        metrics, conflicts = table.merge_new(lake, c, deduped.rows, note=f"{first_day}..{last_day}")
        result.conflict_ids |= deduped.conflicts | conflicts
        result.rows_inserted += metrics.get("num_target_rows_inserted", 0)
        killpoints.reached("events.after_merge")
        version = table.open_table(lake).version()
        applied.record(lake, [(r.file.key, d) for r, need in batch for d in sorted(need)], version)
        killpoints.reached("events.after_record")
        batch, size = [], 0

    for f in files:
        lo, hi = possible_dates(c, f.hour)
        need = {d for d in dates_between(lo, hi) if d in days} - done.get(f.key, set())
        if not need:
            continue
        r = read_landed(lake, c, f)
        write_quarantine(lake, c, r)
        result.add_reads([r])
        batch.append((r, need))
        size += len(r.rows)
        if size >= MERGE_BATCH_ROWS:
            flush()
    flush()
    return _finish(lake, c, result, started)


def catch_up(lake: Lake, c: EventContract = EVENTS, today: date | None = None) -> IngestResult:
    """Every pending event of every date up to today (the unpartitioned path)."""
    today = today or datetime.now(UTC).date()
    return incremental(lake, date.fromisoformat(c.first_date), today + timedelta(days=1), c)
