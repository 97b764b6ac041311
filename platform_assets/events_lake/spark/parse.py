"""Landed objects (path, bytes) to contract rows and quarantined records, on Spark's executors.

Nothing is re-implemented: `split_lines` (raw/firehose_layout.py) and `parse_landed`
(events_lake/read.py) are the local path's own functions, run inside `mapInArrow`. One output
row per record: a valid event has the processed schema's columns and its `_line` (its order
among the object's valid rows); a quarantined record has `_source_file`, `_line`, `_reason`
and `_record`; an object whose path is not of the Firehose layout is one row with `_reason`
= UNRECOGNIZED (the local path does not list such names either; the job counts them).
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from platform_assets.contracts.events import EventContract
from platform_assets.events_lake.read import parse_landed, to_arrow
from platform_assets.raw.firehose_layout import LandedFile, is_landed_key, split_lines

UNRECOGNIZED = "not a Firehose object name (YYYY/MM/DD/HH/<stream>-...gz)"
EXTRA_COLUMNS = [("_line", pa.int64()), ("_reason", pa.string()), ("_record", pa.string())]


def parsed_schema(c: EventContract) -> pa.Schema:
    """The processed schema, every column nullable (quarantined rows fill few), and the extras."""
    return pa.schema(
        [f.with_nullable(True) for f in c.processed_schema()] + [pa.field(n, t) for n, t in EXTRA_COLUMNS]
    )


def landed_key(path: str) -> str:
    """The key relative to the stream's prefix: the path's last five parts."""
    return "/".join(path.split("/")[-5:])


def _nulls(schema: pa.Schema, n: int, values: dict[str, list]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [pa.array(values[f.name], f.type) if f.name in values else pa.nulls(n, f.type) for f in schema],
        schema=schema,
    )


def parse_object(c: EventContract, path: str, content: bytes) -> list[pa.RecordBatch]:
    """One landed object's rows: its valid events in line order, then its quarantined records."""
    schema = parsed_schema(c)
    key = landed_key(path)
    if not is_landed_key(key):
        return [_nulls(schema, 1, {"_source_file": [path], "_reason": [UNRECOGNIZED]})]
    read = parse_landed(c, LandedFile(key, path), split_lines(content))
    good = to_arrow(c, read.rows)
    valid = {name: good[name].to_pylist() for name in good.column_names}
    valid["_line"] = list(range(good.num_rows))
    q = read.quarantined
    bad = {
        "_source_file": [r["source"] for r in q],
        "_line": [r["line"] for r in q],
        "_reason": [r["reason"] for r in q],
        "_record": [r["record"] for r in q],
    }
    return [_nulls(schema, good.num_rows, valid), _nulls(schema, len(q), bad)]


def parse_batches(c: EventContract):
    """The `mapInArrow` function: binaryFile batches (path, content, ...) to parsed rows."""

    def parse(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for b in batches:
            for path, content in zip(
                b.column("path").to_pylist(), b.column("content").to_pylist(), strict=True
            ):
                yield from parse_object(c, path, content)

    return parse
