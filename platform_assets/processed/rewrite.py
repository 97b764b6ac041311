"""The wide-batch write: replace the key-range partitions a batch touches in one Delta commit.

A MERGE joins the batch with every row of the partitions it touches, rewrites their files
and writes a change data feed file beside each; past a few percent of the table that costs
more than rebuilding those partitions outright. The rewrite computes each touched
partition's new content in Arrow (its current rows without the batch's keys, plus the
batch's inserts and updates) and writes it with `mode="overwrite"` and a predicate on the
partition column only, so delta-rs removes the old files and adds the new ones in ONE commit
that carries the watermark, exactly like the MERGE's commit.

The change data feed Delta derives from such a commit deletes every row of a touched
partition and inserts every row it now holds: correct for any reader (a re-insert beats a
delete in the same version), but as wide as the partitions. So the batch's exact changes are
written beside it first and named in the commit (processed/change_files.py); curated reads
those instead.

Which write runs is chosen per batch by `choose_strategy`, from one measured threshold.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, write_deltalake

from platform_assets.contracts import TableContract
from platform_assets.contracts.model import KEY_BUCKET_COLUMN
from platform_assets.lake import Lake
from platform_assets.processed.change_files import CHANGES_FILE_KEY, write_changes
from platform_assets.processed.delta import WATERMARK_KEY
from platform_assets.storage.delta import writer_properties

MERGE = "merge"
REWRITE = "rewrite"
STRATEGIES = (MERGE, REWRITE)

# Rewrite when the partitions a batch touches hold at least this share of the table's rows.
# Measured (bench/results/before_after.md): the rewrite is faster than the MERGE at every
# width, but below a few percent the gain is a fraction of a second, and the MERGE keeps the
# table's own change data feed exact for any reader (a rewrite's derived feed is whole
# partitions; only readers of change_files.py get the exact rows).
REWRITE_MIN_SHARE = 0.05
# ... and only in tables of at least this many rows: below it the measured gain is nil (1M
# rows: 1.02-1.20x; a table of one partition would be rewritten whole by every batch), and
# every batch of a small table keeps the MERGE and its exact change data feed.
REWRITE_MIN_ROWS = 1_000_000


def touched_buckets(c: TableContract, source: pa.Table) -> list[int]:
    bucket = pc.cast(pc.divide(source[c.key], pa.scalar(c.key_bucket_size, pa.int64())), pa.int64())
    return sorted(pc.unique(bucket).to_pylist())


def _file_stats(dt: DeltaTable) -> tuple[pa.Array, pa.Array]:
    """Rows and key-range partition of every file, from the log (no data read)."""
    files = pa.table(dt.get_add_actions(flatten=True))
    if files.num_rows == 0:
        return pa.array([], pa.int64()), pa.array([], pa.int64())
    return (
        pc.cast(files["num_records"], pa.int64()),
        pc.cast(files[f"partition.{KEY_BUCKET_COLUMN}"], pa.int64()),
    )


def _share(rows: pa.Array, parts: pa.Array, buckets: list[int]) -> float:
    if not buckets:
        return 0.0
    total = pc.sum(rows).as_py() or 0
    if total == 0:  # all of an empty table's rows (none) are touched: a first load is a write
        return 1.0
    touched = pc.sum(pc.filter(rows, pc.is_in(parts, pa.array(buckets, pa.int64())))).as_py() or 0
    return touched / total


def share_of_rows_in(dt: DeltaTable, buckets: list[int]) -> float:
    """The share of the table's rows the given partitions hold, from the log's file stats."""
    return _share(*_file_stats(dt), buckets)


def choose_strategy(dt: DeltaTable, c: TableContract, source: pa.Table) -> str:
    rows, parts = _file_stats(dt)  # one read of the log's file list
    if (pc.sum(rows).as_py() or 0) < REWRITE_MIN_ROWS:
        return MERGE
    share = _share(rows, parts, touched_buckets(c, source))
    return REWRITE if share >= REWRITE_MIN_SHARE else MERGE


def _bucket_filter(buckets: list[int]) -> str:
    return f"{KEY_BUCKET_COLUMN} IN ({', '.join(map(str, buckets))})"


def rewrite_partitions(
    lake: Lake, dt: DeltaTable, c: TableContract, source: pa.Table, watermark: str
) -> dict:
    """Replace the touched partitions with their new content; `source` is the folded batch
    (one row per key, `_op` I/U/D) with the table's columns. Returns MERGE-style metrics."""
    if source.num_rows == 0:  # like the MERGE: nothing to write, no commit
        return {}
    schema = pa.schema(dt.schema().to_arrow())
    buckets = touched_buckets(c, source)
    predicate = _bucket_filter(buckets)
    current = dt.to_pyarrow_dataset(file_pruning_predicate=predicate).to_table()
    current = current.cast(pa.schema([schema.field(n) for n in current.column_names]))
    batch_keys = source[c.key].combine_chunks()
    replaced = pc.is_in(current[c.key], batch_keys)
    kept = current.filter(pc.invert(replaced))
    upserts = source.filter(pc.not_equal(source["_op"], "D"))
    bucket = pc.divide(upserts[c.key], pa.scalar(c.key_bucket_size, pa.int64()))
    upserts = upserts.append_column(KEY_BUCKET_COLUMN, pc.cast(bucket, pa.int64()))
    new = pa.concat_tables([kept.select(schema.names), upserts.select(schema.names).cast(schema)])
    commit = {WATERMARK_KEY: watermark}
    if current.num_rows:  # else the derived feed is exact already: inserts only
        changes = source.drop_columns(["_pos"])
        commit[CHANGES_FILE_KEY] = write_changes(lake, dt.table_uri, changes, c.vacuum_retention_hours)
    write_deltalake(
        dt,
        new,
        mode="overwrite",
        predicate=predicate,
        writer_properties=writer_properties(schema),
        commit_properties=CommitProperties(custom_metadata=commit),
    )
    dt.update_incremental()
    written = dt.history(1)[0].get("operationMetrics", {})
    existing = pc.is_in(batch_keys, pc.filter(current[c.key], replaced).combine_chunks())
    is_delete = pc.equal(source["_op"], "D")
    return {
        "num_target_rows_inserted": pc.sum(pc.and_(pc.invert(existing), pc.invert(is_delete))).as_py() or 0,
        "num_target_rows_updated": pc.sum(pc.and_(existing, pc.invert(is_delete))).as_py() or 0,
        "num_target_rows_deleted": pc.sum(pc.and_(existing, is_delete)).as_py() or 0,
        "num_target_rows_copied": kept.num_rows,
        "num_target_files_removed": written.get("num_removed_files", 0),
        "num_target_files_added": written.get("num_added_files", 0),
        "partitions_rewritten": len(buckets),
    }
