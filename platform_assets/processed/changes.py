"""Ordering and folding of changes: the last change per key, by source position, wins."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from platform_assets.contracts import TableContract
from platform_assets.contracts.model import KEY_BUCKET_COLUMN


def last_change_per_key(changes: pa.Table, key: str) -> pa.Table:
    """One row per key: the change with the greatest `_pos` (insert then delete leaves a D)."""
    if changes.num_rows == 0:
        return changes
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
