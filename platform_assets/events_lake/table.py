"""The processed `events` Delta table: partitioned by event date, one row per event id.

Two writes, both idempotent:
- `merge_new`: a MERGE on (event_date, event_id) that inserts events the table lacks, so a
  file landed twice or an event delivered twice is stored once. When a copy from an earlier
  landed file turns up later it replaces the stored copy's lineage, so the table converges
  to what a rebuild gives (the copy from the first landed file) whatever the arrival order.
- `replace_days`: a Delta overwrite with a predicate on the partition column, which rebuilds
  exactly those days and leaves every other partition's files untouched (a backfill).
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
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
    return DeltaTable.create(uri(lake), c.processed_schema(), mode="ignore",
                             partition_by=[c.partition_column], name=TABLE,
                             description=c.description, storage_options=lake.storage_options)


def dedupe(rows: pa.Table, c: EventContract) -> pa.Table:
    """One row per (event date, event id): the copy from the first landed file."""
    if rows.num_rows == 0:
        return rows
    ordered = rows.sort_by([(c.key, "ascending"), (c.partition_column, "ascending"),
                            ("_source_file", "ascending")])
    keys = ordered[c.key].combine_chunks()
    days = ordered[c.partition_column].combine_chunks()
    changed = pc.or_(pc.not_equal(keys[1:], keys[:-1]), pc.not_equal(days[1:], days[:-1]))
    keep = pa.concat_arrays([pa.array([True]), changed])
    return ordered.filter(keep)


def _day_list(days: list[date]) -> str:
    return ", ".join(f"'{d.isoformat()}'" for d in sorted(days))


def merge_new(lake: Lake, c: EventContract, rows: pa.Table, note: str = "") -> dict:
    """Insert events not yet stored; returns delta-rs's MERGE metrics."""
    dt = open_or_create(lake, c)
    if rows.num_rows == 0:
        return {}
    days = pc.unique(rows[c.partition_column]).to_pylist()
    p, k = c.partition_column, c.key
    merger = dt.merge(
        rows, predicate=f"t.{p} = s.{p} AND t.{k} = s.{k} AND t.{p} IN ({_day_list(days)})",
        source_alias="s", target_alias="t", streamed_exec=False,
        commit_properties=CommitProperties(custom_metadata={OPERATION_KEY: f"merge {note}"}))
    return (merger
            .when_matched_update_all(predicate="s._source_file < t._source_file")
            .when_not_matched_insert_all()
            .execute())


def replace_days(lake: Lake, c: EventContract, rows: pa.Table, first_day: date,
                 last_day: date) -> int:
    """Overwrite the partitions first_day..last_day with `rows`; returns the new version."""
    dt = open_or_create(lake, c)
    p = c.partition_column
    predicate = f"{p} >= '{first_day.isoformat()}' AND {p} <= '{last_day.isoformat()}'"
    commit = CommitProperties(custom_metadata={
        OPERATION_KEY: f"rebuild {first_day.isoformat()}..{last_day.isoformat()}"})
    if rows.num_rows == 0:
        dt.delete(predicate, commit_properties=commit)
    else:
        write_deltalake(dt, rows, mode="overwrite", predicate=predicate,
                        partition_by=[p], commit_properties=commit,
                        storage_options=lake.storage_options)
    dt.update_incremental()
    return dt.version()


def count_by_day(lake: Lake, c: EventContract, days: list[date]) -> dict[date, int]:
    import pyarrow.dataset as ds

    dt = open_table(lake)
    if dt is None or not days:
        return {d: 0 for d in days}
    table = dt.to_pyarrow_dataset().to_table(
        columns=[c.partition_column], filter=ds.field(c.partition_column).isin(days))
    counts = {d: 0 for d in days}
    for d, n in zip(*pc.value_counts(table[c.partition_column]).flatten(), strict=True):
        counts[d.as_py()] = n.as_py()
    return counts
