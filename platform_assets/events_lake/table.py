"""The processed `events` Delta table: partitioned by event date, one row per event id.

The rule for copies of one event id (a file landed twice, a record redelivered, a retried
event its client re-stamped with another time, even on another date): the copy from the first
landed file is kept (landed keys sort by arrival hour; within one file the earlier date, then
the first line). Copies are looked for across the partitions of the contract's
`duplicate_window_days` around each date; ids seen under two dates are counted (`conflicts`).

Two writes, both idempotent:
- `merge_new`: a MERGE on event id over the window's partitions that inserts events the table
  lacks; a copy from an earlier landed file that turns up later replaces the stored one (moved
  to its own date), so the table converges to what a rebuild gives whatever the arrival order.
- `replace_days`: a Delta overwrite with a predicate on the partition column, which rebuilds
  exactly those days, leaves other partitions' files untouched unless a copy stored there loses
  to a rebuilt row (then only that copy is deleted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from platform_assets.contracts.events import EventContract
from platform_assets.lake import Lake

TABLE = "events"
OPERATION_KEY = "lakehouse.events"


def uri(lake: Lake) -> str:
    return lake.delta_uri("processed", TABLE)


def open_table(lake: Lake) -> DeltaTable | None:
    try:
        return DeltaTable(uri(lake), storage_options=lake.storage_options)
    except TableNotFoundError:
        return None


def open_or_create(lake: Lake, c: EventContract) -> DeltaTable:
    dt = open_table(lake)
    if dt is not None:
        return dt
    return DeltaTable.create(
        uri(lake),
        c.processed_schema(),
        mode="ignore",
        partition_by=[c.partition_column],
        name=TABLE,
        description=c.description,
        storage_options=lake.storage_options,
    )


@dataclass
class Deduped:
    rows: pa.Table
    conflicts: set[str] = field(default_factory=set)  # event ids seen under two dates


def first_landed_columns(c: EventContract) -> list[str]:
    """The copy of an event kept is the smallest by these (then the first line of its file)."""
    return ["_source_file", c.partition_column]


def _first_landed_order(c: EventContract) -> list[tuple[str, str]]:
    # stable: copies of one file and date keep their line order, the first line wins
    return [(c.key, "ascending"), *((n, "ascending") for n in first_landed_columns(c))]


def dedupe(rows: pa.Table, c: EventContract) -> Deduped:
    """One row per event id: the copy from the first landed file (the earlier date within
    one file), and the ids whose dropped copies had another date than the kept one."""
    if rows.num_rows == 0:
        return Deduped(rows)
    ordered = rows.sort_by(_first_landed_order(c))
    keys = ordered[c.key].combine_chunks()
    first = pa.concat_arrays([pa.array([True]), pc.not_equal(keys[1:], keys[:-1])])
    kept = ordered.filter(first)
    group = pc.subtract(pc.cumulative_sum(pc.cast(first, pa.int64())), 1)
    kept_day = pc.take(kept[c.partition_column], group)
    conflict = pc.and_(pc.invert(first), pc.not_equal(ordered[c.partition_column], kept_day))
    return Deduped(kept, set(pc.unique(pc.filter(keys, conflict)).to_pylist()))


def window_days(c: EventContract, days) -> list[date]:
    """The partitions that can hold another copy of an event dated on one of `days`."""
    w = c.duplicate_window_days
    return sorted({d + timedelta(days=i) for d in days for i in range(-w, w + 1)})


def stored_copies(
    lake: Lake, c: EventContract, ids: pa.Array | pa.ChunkedArray, days: list[date]
) -> pa.Table:
    """(event id, event date, source file) of stored rows with those ids on those dates."""
    dt = open_table(lake)
    cols = [c.key, c.partition_column, "_source_file"]
    if dt is None or not days or len(ids) == 0:
        return c.processed_schema().empty_table().select(cols)
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    found = dt.to_pyarrow_dataset().to_table(
        columns=cols, filter=ds.field(c.partition_column).isin(days) & ds.field(c.key).isin(ids)
    )
    return found.cast(pa.schema([c.processed_schema().field(n) for n in cols]))


def _first_landed_wins(a: tuple[str, date], b: tuple[str, date]) -> bool:
    """Whether the copy (source file, date) `a` is kept over `b`: the rule of `dedupe`."""
    return a < b


def _day_list(days: list[date]) -> str:
    return ", ".join(f"'{d.isoformat()}'" for d in sorted(days))


def merge_new(lake: Lake, c: EventContract, rows: pa.Table, note: str = "") -> tuple[dict, set[str]]:
    """Insert events not yet stored, keep one row per event id across the partitions of the
    duplicate window (a copy from an earlier landed file replaces the stored one, moving it to
    its date); returns delta-rs's MERGE metrics and the ids stored under another date."""
    dt = open_or_create(lake, c)
    if rows.num_rows == 0:
        return {}, set()
    p, k = c.partition_column, c.key
    window = window_days(c, pc.unique(rows[p]).to_pylist())
    stored = stored_copies(lake, c, rows[k], window)
    theirs = dict(zip(stored[k].to_pylist(), stored[p].to_pylist(), strict=True))
    conflicts = {
        i
        for i, d in zip(rows[k].to_pylist(), rows[p].to_pylist(), strict=True)
        if i in theirs and theirs[i] != d
    }
    merger = dt.merge(
        rows,
        predicate=merge_predicate(c, window),
        source_alias="s",
        target_alias="t",
        streamed_exec=False,
        commit_properties=CommitProperties(custom_metadata={OPERATION_KEY: f"merge {note}"}),
    )
    metrics = (
        merger.when_matched_update_all(predicate=replaces_stored(c)).when_not_matched_insert_all().execute()
    )
    return metrics, conflicts


def merge_predicate(c: EventContract, window: list[date]) -> str:
    """The MERGE's join (target `t`, source `s`): one event id within the window's partitions.
    The same SQL for delta-rs here and Delta on Spark (events_lake/spark/sink.py)."""
    return f"t.{c.key} = s.{c.key} AND t.{c.partition_column} IN ({_day_list(window)})"


def replaces_stored(c: EventContract) -> str:
    """When a matched source copy replaces the stored one: it landed first (`_first_landed_wins`)."""
    a, b = first_landed_columns(c)
    return f"s.{a} < t.{a} OR (s.{a} = t.{a} AND s.{b} < t.{b})"


@dataclass
class Rebuilt:
    version: int
    rows_written: int
    conflicts: set[str]  # ids that also had a copy stored in a neighbouring partition


def replace_days(lake: Lake, c: EventContract, rows: pa.Table, first_day: date, last_day: date) -> Rebuilt:
    """Overwrite the partitions first_day..last_day with `rows` (one per event id).

    Such a copy is resolved by the first-landed rule: if it wins, the row is left out of the
    rebuilt days; if the rebuilt row wins, the neighbour's copy is deleted after the
    overwrite (a crash in between leaves a duplicate that a rerun removes, never a loss).
    """
    dt = open_or_create(lake, c)
    p, k = c.partition_column, c.key
    rebuilt = set(_dates(first_day, last_day))
    neighbours = [d for d in window_days(c, rebuilt) if d not in rebuilt]
    stored = stored_copies(lake, c, rows[k], neighbours)
    ours = {
        i: (f, d)
        for i, f, d in zip(
            rows[k].to_pylist(), rows["_source_file"].to_pylist(), rows[p].to_pylist(), strict=True
        )
    }
    drop, losers = set(), []
    for i, d, f in zip(
        stored[k].to_pylist(), stored[p].to_pylist(), stored["_source_file"].to_pylist(), strict=True
    ):
        if _first_landed_wins((f, d), ours[i]):
            drop.add(i)
        else:
            losers.append((i, d, f))
    if drop:
        rows = rows.filter(pc.invert(pc.is_in(rows[k], pa.array(sorted(drop), pa.string()))))
    predicate = f"{p} >= '{first_day.isoformat()}' AND {p} <= '{last_day.isoformat()}'"
    commit = CommitProperties(
        custom_metadata={OPERATION_KEY: f"rebuild {first_day.isoformat()}..{last_day.isoformat()}"}
    )
    if rows.num_rows == 0:
        dt.delete(predicate, commit_properties=commit)
    else:
        write_deltalake(
            dt,
            rows,
            mode="overwrite",
            predicate=predicate,
            partition_by=[p],
            commit_properties=commit,
            storage_options=lake.storage_options,
        )
    dt.update_incremental()
    if losers:
        _delete_copies(dt, c, losers, note=f"{first_day.isoformat()}..{last_day.isoformat()}")
    return Rebuilt(dt.version(), rows.num_rows, {i for i, _, _ in losers} | drop)


def _delete_copies(dt: DeltaTable, c: EventContract, copies: list[tuple[str, date, str]], note: str) -> None:
    """Delete exactly these stored copies (id, date, source file) with one MERGE."""
    p, k = c.partition_column, c.key
    source = pa.table(
        {
            k: [i for i, _, _ in copies],
            p: [d for _, d, _ in copies],
            "_source_file": [f for _, _, f in copies],
        },
        schema=pa.schema([c.processed_schema().field(n) for n in (k, p, "_source_file")]),
    )
    (
        dt.merge(
            source,
            predicate=f"t.{k} = s.{k} AND t.{p} = s.{p} AND t.{p} IN "
            f"({_day_list(list({d for _, d, _ in copies}))})",
            source_alias="s",
            target_alias="t",
            streamed_exec=False,
            commit_properties=CommitProperties(
                custom_metadata={OPERATION_KEY: f"rebuild {note}: drop copies under another date"}
            ),
        )
        .when_matched_delete(predicate="t._source_file = s._source_file")
        .execute()
    )
    dt.update_incremental()


def _dates(first_day: date, last_day: date) -> list[date]:
    return [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]


def count_by_day(lake: Lake, c: EventContract, days: list[date]) -> dict[date, int]:
    dt = open_table(lake)
    if dt is None or not days:
        return {d: 0 for d in days}
    table = dt.to_pyarrow_dataset().to_table(
        columns=[c.partition_column], filter=ds.field(c.partition_column).isin(days)
    )
    counts = {d: 0 for d in days}
    for d, n in zip(*pc.value_counts(table[c.partition_column]).flatten(), strict=True):
        counts[d.as_py()] = n.as_py()
    return counts
