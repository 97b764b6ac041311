"""Ordering and folding of changes: the last change per key, by source position, wins."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from platform_assets.contracts import TableContract
from platform_assets.contracts.model import KEY_BUCKET_COLUMN


def last_change_per_key(changes: pa.Table, key: str) -> pa.Table:
    """One row per key, in key order: the change with the greatest `_pos` (insert then delete
    leaves a D)."""
    if changes.num_rows == 0:
        return changes
    positions = changes["_pos"].combine_chunks()
    if pc.all(pc.greater(positions[1:], positions[:-1]), skip_nulls=False).as_py() is True:
        # Rows already in source order (one file, or files in order: the usual batch). A stable
        # sort on the key keeps that order within a key, so the last row of each key wins, and
        # no position (text) is compared: that sort was most of the fold of a 200k-change batch
        # (0.19 of 0.22 s).
        ordered = changes.take(pc.sort_indices(changes[key]))
        keys = ordered[key].combine_chunks()
        last = pc.not_equal(keys[:-1], keys[1:])
        return ordered.filter(pa.concat_arrays([last.fill_null(True), pa.array([True])]))
    ordered = changes.sort_by([(key, "ascending"), ("_pos", "descending")])
    keys = ordered[key].combine_chunks()
    first = pc.not_equal(keys[1:], keys[:-1])
    keep = pa.concat_arrays([pa.array([True]), first.fill_null(True)])
    return ordered.filter(keep)


def key_buckets(keys: pa.Array | pa.ChunkedArray, c: TableContract) -> pa.Array | pa.ChunkedArray:
    """Each key's key-range partition: key // bucket size."""
    return pc.cast(pc.divide(keys, pa.scalar(c.key_bucket_size, pa.int64())), pa.int64())


def with_key_bucket(changes: pa.Table, c: TableContract) -> pa.Table:
    """Add the key-range partition column."""
    return changes.append_column(KEY_BUCKET_COLUMN, key_buckets(changes[c.key], c))


def unify(tables: list[pa.Table]) -> pa.Table:
    """Concatenate change tables whose extra (drift) columns may differ."""
    return pa.concat_tables(tables, promote_options="permissive")
