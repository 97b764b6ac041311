"""Delta file statistics for the Parquet files the platform writes itself (processed/rewrite.py).

A Delta `add` action carries the file's row count and, per column, the null count and the
min/max values; readers skip files with them (a key lookup opens one partition's file, not
all). delta-rs computes them for the files it writes. For a file written with pyarrow they are
taken from the file's own Parquet statistics (its footer: computed while writing, so nothing is
scanned twice) and written in delta-rs's format, so that one table's files look alike whichever
writer wrote them (tests/test_delta_stats.py compares the two on the same rows):

- numbers as JSON numbers (decimals too), booleans as JSON booleans, text as is;
- dates as `YYYY-MM-DD`; timestamps in UTC truncated to the millisecond (`...:03.456Z`,
  `...:00Z` on a whole second), as delta-rs and Spark write them;
- a column of nulls only has a null count and no min/max; NaNs are not bounds (Parquet's
  statistics leave them out); any other type (binary, nested, timestamps without a zone) gets
  its null count only, so readers never skip a file on it, which is always correct.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow.parquet as pq


def _json_value(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return None
        value = value.astimezone(UTC)
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        millis = value.microsecond // 1000
        return f"{text}.{millis:03d}Z" if millis else f"{text}Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool | int | float | str):
        return value
    return None  # bytes and anything else: no bound


def file_stats(metadata: pq.FileMetaData) -> str:
    """The `stats` JSON of an add action for the Parquet file whose footer is `metadata`. A
    column's null count is the sum over its row groups, left out if one row group lacks it;
    its bounds are the min and max over them, left out if one row group with values lacks them."""
    bounds: dict[str, tuple] = {}
    nulls: dict[str, int] = {}
    no_nulls_count: set[str] = set()
    unbounded: set[str] = set()
    for g in range(metadata.num_row_groups):
        group = metadata.row_group(g)
        for j in range(group.num_columns):
            chunk = group.column(j)
            name, stats = chunk.path_in_schema, chunk.statistics
            if "." in name:  # nested: no statistics in this format
                continue
            if stats is None or not stats.has_null_count:
                no_nulls_count.add(name)
                unbounded.add(name)
                continue
            nulls[name] = nulls.get(name, 0) + stats.null_count
            if stats.null_count == chunk.num_values:  # nulls only: no bound to keep
                continue
            if not stats.has_min_max:
                unbounded.add(name)
                continue
            low, high = stats.min, stats.max
            if name in bounds:
                low, high = min(low, bounds[name][0]), max(high, bounds[name][1])
            bounds[name] = (low, high)
    mins, maxs = {}, {}
    for name, (low, high) in bounds.items():
        low, high = _json_value(low), _json_value(high)
        if name not in unbounded and low is not None and high is not None:
            mins[name], maxs[name] = low, high
    return json.dumps(
        {
            "numRecords": metadata.num_rows,
            "minValues": mins,
            "maxValues": maxs,
            "nullCount": {n: v for n, v in nulls.items() if n not in no_nulls_count},
        },
        separators=(",", ":"),
    )
