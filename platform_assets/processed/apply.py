"""Apply raw-zone changes to a processed Delta table with one MERGE, exactly once.

- Pending files are the table's raw files not yet in the applied log; they are read in DMS
  order and folded to the last change per key (by `_pos`, the source position, which orders
  every writer's changes: raw/positions.py). A file that cannot be read, and a CDC file
  without `_change_seq` that repeats an earlier file (processed/redelivery.py), goes to
  quarantine with its reason; anything else in the folder is reported as unrecognized.
- Changes above the committed watermark are new: they merge directly (fast path).
- Changes at or below it come from a file delivered twice or arriving late: for their keys
  the final state is recomputed from every raw file, so a duplicate changes nothing and a
  late file lands in source order (a later delete is never undone by an older insert).
- The MERGE joins on key and key-range partition, so delta-rs prunes to the partitions the
  batch touches. Recomputed rows equal to the current ones are dropped first, so a replay
  writes no new version.
- A wide batch (its partitions hold a large share of the table: processed/rewrite.py) skips
  the MERGE: the touched partitions' new content is computed in Arrow and replaces them in
  one overwrite commit, with the watermark, under the same rules. `ApplyResult.strategy`
  says which write ran.
- A new nullable source column is added to the table in a metadata-only commit first, then
  the MERGE runs without schema merging (delta-rs's merge_schema rewrites target rows and
  fails validation on real tables).
- A new table's full load (every pending file a LOAD file, nothing applied yet) needs no
  fold: it is appended in one commit, streamed a file at a time (processed/load_append.py).
- The new watermark is committed with the data; the applied log is written after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable
from deltalake.exceptions import DeltaError
from deltalake.schema import Field

from platform_assets import killpoints
from platform_assets.contracts import TableContract
from platform_assets.contracts.model import KEY_BUCKET_COLUMN
from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.processed import applied_log
from platform_assets.processed.changes import last_change_per_key, unify, with_key_bucket
from platform_assets.processed.delta import (
    WATERMARK_KEY,
    open_or_create_processed,
    read_keys,
    sync_table_properties,
)
from platform_assets.processed.load_append import APPEND, LoadPlan, append_load, plan_load, table_is_new
from platform_assets.processed.redelivery import repeated_files
from platform_assets.processed.rewrite import REWRITE, choose_strategy, rewrite_partitions
from platform_assets.raw import positions
from platform_assets.raw.dms_layout import RawFile
from platform_assets.raw.files import list_table_folder, quarantine
from platform_assets.raw.read import MalformedFile, read_changes
from platform_assets.storage.delta import committed_value, writer_properties


@dataclass
class ApplyResult:
    table: str
    files_applied: list[str] = field(default_factory=list)
    files_quarantined: dict[str, str] = field(default_factory=dict)
    files_unrecognized: list[str] = field(default_factory=list)  # not DMS files: reported
    changes_read: int = 0
    recomputed_keys: int = 0
    new_columns: list[str] = field(default_factory=list)
    merge_metrics: dict = field(default_factory=dict)
    # which write ran: "merge", "rewrite" (processed/rewrite.py) or "append" (a new table's
    # full load: processed/load_append.py); "" none
    strategy: str = ""
    delta_version: int = -1
    watermark: str = ""


def _read_pending(
    lake: Lake, c: TableContract, files: list[RawFile], pending: list[RawFile], result: ApplyResult
) -> list[pa.Table]:
    read: dict[str, pa.Table] = {}
    extras: dict[str, list[str]] = {}
    for f in pending:
        try:
            read[f.name], extras[f.name] = read_changes(lake, c, f)
        except MalformedFile as exc:
            result.files_quarantined[f.name] = str(exc)
    usable = [f for f in files if f.name not in result.files_quarantined]
    result.files_quarantined |= repeated_files(c, usable, read, lambda f: read_changes(lake, c, f)[0])
    for f in pending:
        if f.name in result.files_quarantined:
            quarantine(lake, c.schema, c.name, f, result.files_quarantined[f.name])
            read.pop(f.name, None)
    for name in read:
        result.files_applied.append(name)
        result.new_columns += [x for x in extras[name] if x not in result.new_columns]
    return list(read.values())


def _history_of_keys(lake: Lake, c: TableContract, files: list[RawFile], keys: pa.Array) -> pa.Table:
    parts = []
    for f in files:
        changes, _ = read_changes(lake, c, f)
        parts.append(changes.filter(pc.is_in(changes[c.key], keys)))
    return unify(parts)


def _drop_deletes_of_absent_keys(dt, c: TableContract, source: pa.Table) -> pa.Table:
    """A delete of a key the table lacks does nothing; drop it before the MERGE, because
    delta-rs writes an all-null change-feed row for an unmatched source row and fails."""
    is_delete = pc.equal(source["_op"], "D")
    deletes = source.filter(is_delete)
    if deletes.num_rows == 0:
        return source
    present = read_keys(dt, c, deletes[c.key].combine_chunks(), columns=[c.key])[c.key]
    absent = pc.and_(is_delete, pc.invert(pc.is_in(source[c.key], present)))
    return source.filter(pc.invert(absent))


def _drop_unchanged_upserts(dt, c: TableContract, source: pa.Table, keys: pa.Array) -> pa.Table:
    """Recomputed keys whose final row is already in the table need no write at all."""
    current = read_keys(dt, c, keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys)
    cols = [n for n in source.column_names if n in current.column_names and n != "_key_bucket"]
    have = {tuple(r.values()) for r in current.select(cols).to_pylist()}
    rows = source.select(cols).to_pylist()
    ops = source["_op"].to_pylist()
    keep = [op == "D" or tuple(r.values()) not in have for r, op in zip(rows, ops, strict=True)]
    return source.filter(pa.array(keep, pa.bool_()))


def _add_new_columns(dt: DeltaTable, source: pa.Table, watermark: str) -> None:
    """Evolve the schema in a metadata-only commit (nullable columns, no rows rewritten)."""
    have = set(dt.schema().to_arrow().names)
    new = [
        Field.from_arrow(pa.field(f.name, f.type, nullable=True))
        for f in source.schema
        if f.name not in have and f.name not in ("_op", "_pos")
    ]
    if new:  # the commit carries the unchanged watermark: readers look for the newest one
        dt.alter.add_columns(
            new, commit_properties=CommitProperties(custom_metadata={WATERMARK_KEY: watermark})
        )


def _merge(dt, c: TableContract, source: pa.Table, watermark: str) -> dict:
    source = with_key_bucket(_drop_deletes_of_absent_keys(dt, c, source), c)
    if source.num_rows == 0:  # only deletes of keys the table never had: nothing to write
        return {}
    # An explicit IN list on the partition column prunes the target to the key ranges the
    # batch touches; measured faster than delta-rs's own source-derived filter (bench/).
    buckets = ", ".join(map(str, pc.unique(source[KEY_BUCKET_COLUMN]).to_pylist()))
    merger = dt.merge(
        source,
        predicate=f"t.{c.key} = s.{c.key} AND t.{KEY_BUCKET_COLUMN} = s.{KEY_BUCKET_COLUMN}"
        f" AND t.{KEY_BUCKET_COLUMN} IN ({buckets})",
        source_alias="s",
        target_alias="t",
        streamed_exec=True,
        writer_properties=writer_properties(dt),
        commit_properties=CommitProperties(custom_metadata={WATERMARK_KEY: watermark}),
    )
    return (
        merger.when_matched_delete(predicate="s._op = 'D'")
        .when_matched_update_all(predicate="s._op <> 'D'", except_cols=["_op", "_pos"])
        .when_not_matched_insert_all(predicate="s._op <> 'D'", except_cols=["_op", "_pos"])
        .execute()
    )


def _with_table_columns(dt: DeltaTable, source: pa.Table) -> pa.Table:
    """Columns the table has and this batch's files lack (added by earlier files) are null."""
    for f in dt.schema().to_arrow():
        if f.name not in source.column_names and f.name != KEY_BUCKET_COLUMN:
            source = source.append_column(pa.field(f.name, f.type), pa.nulls(source.num_rows, f.type))
    return source


def _applied_watermark(
    lake: Lake, c: TableContract, dt: DeltaTable, files: list[RawFile], done: set[str]
) -> str:
    """The committed watermark; one written before raw/positions.py is derived again, once,
    from the files already applied (their greatest position)."""
    watermark = committed_value(lake, dt, WATERMARK_KEY)
    if positions.is_position(watermark):
        return watermark
    maxima = [pc.max(read_changes(lake, c, f)[0]["_pos"]).as_py() for f in files if f.name in done]
    return max([m for m in maxima if m is not None], default="")


@dataclass
class PendingBatch:
    """What an apply starts from: the table, its raw files in order, the committed watermark
    and the pending files' changes, read and checked (unreadable and refused files are
    already in quarantine). Every engine starts here (processed/compute/)."""

    result: ApplyResult
    dt: DeltaTable
    files: list[RawFile]
    committed: str
    changes: list[pa.Table]

    def history_files(self, lake: Lake, c: TableContract) -> list[RawFile]:
        """The files a recomputed key's history is read from: every file but the quarantined
        ones and a restore's rolled-back ones (those stay out until reapplied on purpose,
        tables/reapply.py)."""
        left_out = set(self.result.files_quarantined) | applied_log.files_in_state(
            lake, c.name, applied_log.ROLLED_BACK
        )
        return [f for f in self.files if f.name not in left_out]


@dataclass
class Folded:
    """The last change per key of a batch, and the watermark to commit with it. `source` is
    None when nothing was pending; `recomputed` holds the keys whose state was recomputed from
    the whole raw history (changes at or below the committed watermark), else None."""

    source: pa.Table | None
    watermark: str
    changes_read: int = 0
    recomputed: pa.Array | None = None


@dataclass
class _TableState:
    """Where an apply starts, before any pending file is read."""

    result: ApplyResult
    dt: DeltaTable
    files: list[RawFile]
    done: set[str]
    committed: str

    @property
    def pending(self) -> list[RawFile]:
        return [f for f in self.files if f.name not in self.done]


def _table_state(lake: Lake, c: TableContract) -> _TableState:
    result = ApplyResult(c.name)
    dt = open_or_create_processed(lake, c)
    done = applied_log.applied_files(lake, c.name)
    files, result.files_unrecognized = list_table_folder(lake, c.schema, c.name)
    committed = _applied_watermark(lake, c, dt, files, done)
    if sync_table_properties(dt, c, committed):
        dt.update_incremental()
    return _TableState(result, dt, files, done, committed)


def _read_state(lake: Lake, c: TableContract, state: _TableState) -> PendingBatch:
    batches = _read_pending(lake, c, state.files, state.pending, state.result)
    return PendingBatch(state.result, state.dt, state.files, state.committed, batches)


def read_pending(lake: Lake, c: TableContract) -> PendingBatch:
    return _read_state(lake, c, _table_state(lake, c))


def _fold(lake: Lake, c: TableContract, batch: PendingBatch) -> Folded:
    """The delta-rs engine's fold, in memory with Arrow."""
    watermark = batch.committed
    if not batch.changes:
        return Folded(None, watermark)
    changes = unify(batch.changes)
    is_fresh = pc.greater(changes["_pos"], pa.scalar(watermark))
    fresh = changes.filter(is_fresh)
    source = last_change_per_key(fresh, c.key)
    stale = changes.filter(pc.invert(is_fresh))
    keys = None
    if stale.num_rows:
        keys = pc.unique(stale[c.key])
        history = _history_of_keys(lake, c, batch.history_files(lake, c), keys)
        source = last_change_per_key(unify([source, history]), c.key)
    if fresh.num_rows:
        watermark = max(watermark, pc.max(fresh["_pos"]).as_py())
    return Folded(source, watermark, changes.num_rows, keys)


def commit_folded(
    lake: Lake,
    c: TableContract,
    batch: PendingBatch,
    folded: Folded,
    after_merge: Callable[[], None] | None = None,
    strategy: str | None = None,
) -> ApplyResult:
    """Write the folded changes with the watermark in the same commit (a MERGE, or a rewrite
    of the touched partitions: `strategy`, chosen per batch when None), then the applied log."""
    result, dt = batch.result, batch.dt
    if folded.source is not None:
        source = folded.source
        result.changes_read = folded.changes_read
        if folded.recomputed is not None:
            result.recomputed_keys = len(folded.recomputed)
            source = _drop_unchanged_upserts(dt, c, source, folded.recomputed)
        if source.num_rows or folded.watermark != batch.committed:
            if result.new_columns:
                _add_new_columns(dt, source, batch.committed)
            source = _with_table_columns(dt, source)
            result.strategy = strategy or choose_strategy(dt, c, source)
            if result.strategy == REWRITE:
                result.merge_metrics = rewrite_partitions(lake, dt, c, source, folded.watermark)
            else:
                result.merge_metrics = _merge(dt, c, source, folded.watermark)
            dt.update_incremental()
    return _record_applied(lake, c, result, dt, folded.watermark, after_merge)


def _record_applied(
    lake: Lake,
    c: TableContract,
    result: ApplyResult,
    dt: DeltaTable,
    watermark: str,
    after_merge: Callable[[], None] | None,
) -> ApplyResult:
    """After the data commit: the applied log (every write path ends here)."""
    killpoints.reached("apply.after_merge")
    if after_merge:  # fault-injection point for tests: a crash between data and log
        after_merge()
    result.delta_version = dt.version()
    result.watermark = watermark
    outcomes = {name: "applied" for name in result.files_applied}
    outcomes |= {name: "quarantined" for name in result.files_quarantined}
    applied_log.record(lake, c.name, outcomes, result.delta_version)
    killpoints.reached("apply.after_log")
    return result


def _append_full_load(
    lake: Lake, c: TableContract, state: _TableState, plan: LoadPlan, after_merge: Callable[[], None] | None
) -> ApplyResult:
    """A new table's full load, streamed (processed/load_append.py)."""
    result, dt = state.result, state.dt
    for f in state.pending:
        if f.name in plan.quarantined:
            quarantine(lake, c.schema, c.name, f, plan.quarantined[f.name])
    result.files_quarantined = plan.quarantined
    result.files_applied = [f.name for f in plan.files]
    result.new_columns, result.changes_read = plan.new_columns, plan.changes
    if plan.new_columns:
        _add_new_columns(dt, pa.schema(plan.new_fields).empty_table(), state.committed)
        dt.update_incremental()
    if plan.files:
        result.strategy = APPEND
        result.merge_metrics = append_load(lake, dt, c, plan)
    return _record_applied(lake, c, result, dt, plan.watermark or state.committed, after_merge)


def apply_pending(
    lake: Lake,
    c: TableContract,
    after_merge: Callable[[], None] | None = None,
    strategy: str | None = None,
) -> ApplyResult:
    """Apply every pending raw file of one table. Raises SchemaDriftError on breaking drift, and
    PlatformError naming the table when the lake refuses (disk full, read-only, a concurrent
    writer's commit): what was committed stays consistent, and running the apply again is safe.
    `strategy` forces the MERGE or the rewrite (tests, benchmarks); None chooses per batch."""
    try:
        state = _table_state(lake, c)
        if strategy is None and table_is_new(state.dt, state.committed, state.done):
            plan = plan_load(lake, c, state.pending)
            if plan is not None:
                return _append_full_load(lake, c, state, plan, after_merge)
        batch = _read_state(lake, c, state)
        return commit_folded(lake, c, batch, _fold(lake, c, batch), after_merge, strategy)
    except (OSError, DeltaError) as exc:
        raise PlatformError(
            f"processed.{c.name} at {lake.uri('processed', c.name)}: the apply failed (what it "
            f"committed is consistent; fix the cause and run it again): {exc}"
        ) from exc
