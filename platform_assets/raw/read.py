"""Read one DMS file (Parquet, CSV or gzipped CSV; full load or CDC) into typed changes.

The result always has `_op`, `_pos`, `_commit_ts`, then the contract columns, then any extra
columns the source grew (schema drift). `_pos` orders changes in source order across every
writer (raw/positions.py): a full load first; then CDC changes by source commit time, ties
broken by `_change_seq` when the file has it, else by file name and row.

What a file must hold (one rule for every writer):
- CDC files: `Op` (I, U or D) and `_commit_ts` on every row. `_change_seq` is what makes a
  redelivery recognizable: digits (up to 35, integers are left-padded to that width) on every
  row. Full-load files need neither; their `_change_seq` is empty, as DMS leaves it.
- Types: a Parquet column must carry the contract column's logical type (any width, unit,
  zone or precision of it) or one of contracts.types.FILE_CONVERSIONS, and is cast with a
  checked cast: a value that does not fit stops the table. Text is parsed only from CSV,
  where everything is text; text in a typed non-text column is a type change.
- The key is never null; the contract's NOT NULL columns are not null on I and U rows (a
  delete may carry the key alone, as with REPLICA IDENTITY DEFAULT).

Two kinds of failure, kept apart on purpose:
- MalformedFile: this file cannot be read (corrupt, bad Op, missing `_commit_ts`, bad
  `_change_seq`, unparseable text, a null where the contract forbids it); it goes to
  quarantine with the reason and the table goes on.
- SchemaDriftError: the source changed incompatibly (key or required column dropped, type
  changed, values that no longer fit); the table stops with a clear error until the contract
  is changed, other tables go on.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from platform_assets.contracts import TableContract
from platform_assets.contracts.types import file_type_accepted
from platform_assets.lake import Lake
from platform_assets.raw import positions
from platform_assets.raw.dms_layout import (
    CHANGE_SEQ_COLUMN,
    DMS_COLUMNS,
    OP_COLUMN,
    TIMESTAMP_COLUMN,
    RawFile,
)

TS_TYPE = pa.timestamp("us", tz="UTC")


class MalformedFile(ValueError):
    pass


class SchemaDriftError(ValueError):
    pass


def _load(lake: Lake, f: RawFile) -> pa.Table:
    fs = lake.filesystem()
    try:
        if f.fmt == "parquet":
            return pq.read_table(lake.fs_path(f.uri), filesystem=fs)
        with fs.open_input_stream(lake.fs_path(f.uri), compression="gzip" if f.gzip else None) as stream:
            return _read_csv_as_text(stream.read())
    except (pa.ArrowInvalid, OSError, EOFError) as exc:
        raise MalformedFile(f"{f.name}: cannot read {f.fmt}: {exc}") from exc


def _read_csv_as_text(data: bytes) -> pa.Table:
    """DMS CSV with AddColumnName=true: a header row, every value as text, empty means null."""
    header = pacsv.read_csv(pa.BufferReader(data)).schema.names
    return pacsv.read_csv(
        pa.BufferReader(data),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in header},
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=False,
        ),
    )


def _parse_text(arr: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    if pa.types.is_timestamp(target):
        try:  # with a zone offset
            return pc.cast(arr, target)
        except pa.ArrowInvalid:  # DMS writes UTC without an offset
            return pc.cast(arr, pa.timestamp("us")).cast(target)
    if pa.types.is_boolean(target):
        return pc.cast(pc.utf8_lower(arr), target)
    return pc.cast(arr, target)


def _checked_cast(arr: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    if pa.types.is_dictionary(arr.type):
        arr = pc.cast(arr, arr.type.value_type)
    if pa.types.is_timestamp(arr.type) and arr.type.tz is None:  # DMS writes UTC, no zone
        arr = pc.cast(arr, pa.timestamp(arr.type.unit, tz="UTC"))
    return pc.cast(arr, target, safe=True)


def _cast_column(
    f: RawFile, c: TableContract, name: str, arr: pa.ChunkedArray, from_text: bool
) -> pa.ChunkedArray:
    col = c.column(name)
    target = col.arrow_type
    if arr.type == target:
        return arr
    if pa.types.is_null(arr.type):  # a column with no values at all
        return pa.nulls(len(arr), target)
    if from_text:
        try:
            return _parse_text(arr, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise MalformedFile(f"{f.name}: column {name!r}: cannot parse as {target}: {exc}") from exc
    if not file_type_accepted(arr.type, col.type):
        raise SchemaDriftError(
            f"table {c.name}: column {name!r} is {arr.type} in {f.name} but the contract says "
            f"{col.type} ({target}); an incompatible type change: update the contract and "
            f"reload the table"
        )
    try:
        return _checked_cast(arr, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise SchemaDriftError(
            f"table {c.name}: column {name!r} in {f.name} holds values that do not fit the "
            f"contract's {col.type} ({target}): {exc}; widen the contract"
        ) from exc


def _ops(f: RawFile, raw: pa.Table) -> pa.ChunkedArray:
    if OP_COLUMN not in raw.column_names:
        if f.kind == "cdc":
            raise MalformedFile(f"{f.name}: a CDC file without the {OP_COLUMN!r} column")
        # full-load files carry no Op column (DMS IncludeOpForFullLoad=false)
        return pa.chunked_array([pa.array(["I"] * raw.num_rows, pa.string())])
    op = pc.utf8_upper(raw[OP_COLUMN].cast(pa.string()))
    if not pc.all(pc.is_in(op, pa.array(["I", "U", "D"]))).as_py() or op.null_count:
        raise MalformedFile(f"{f.name}: column 'Op' holds values other than I, U, D")
    return op


def _commit_times(f: RawFile, raw: pa.Table) -> pa.ChunkedArray:
    if TIMESTAMP_COLUMN not in raw.column_names:
        if f.kind == "cdc":
            raise MalformedFile(
                f"{f.name}: a CDC file without {TIMESTAMP_COLUMN!r} (set the "
                f"DMS endpoint's TimestampColumnName={TIMESTAMP_COLUMN})"
            )
        return pa.chunked_array([pa.nulls(raw.num_rows, TS_TYPE)])
    ts = raw[TIMESTAMP_COLUMN]
    try:
        ts = _parse_text(ts, TS_TYPE) if pa.types.is_string(ts.type) else _checked_cast(ts, TS_TYPE)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise MalformedFile(f"{f.name}: column {TIMESTAMP_COLUMN!r}: {exc}") from exc
    if f.kind == "cdc" and ts.null_count:
        raise MalformedFile(f"{f.name}: {ts.null_count} changes have no {TIMESTAMP_COLUMN!r}")
    return ts


def _positions(f: RawFile, raw: pa.Table, commit_ts: pa.ChunkedArray) -> pa.ChunkedArray:
    if f.kind == "load":  # DMS leaves AR_H_CHANGE_SEQ empty during a full load
        return positions.full_load(f.stem, raw.num_rows)
    if CHANGE_SEQ_COLUMN not in raw.column_names:
        return positions.file_ordered(commit_ts, f.stem.replace("-", ""))
    try:
        seq = positions.sequence_digits(raw[CHANGE_SEQ_COLUMN])
    except positions.BadSequence as exc:
        raise MalformedFile(f"{f.name}: column {CHANGE_SEQ_COLUMN!r}: {exc}") from exc
    return positions.sequenced(commit_ts, seq)


def _check_nulls(f: RawFile, c: TableContract, op: pa.ChunkedArray, out: dict) -> None:
    upsert = pc.not_equal(op, "D")
    for col in c.columns:
        values = out[col.name]
        if col.nullable or not values.null_count:
            continue
        nulls = pc.is_null(values) if col.name == c.key else pc.and_(pc.is_null(values), upsert)
        if count := pc.sum(nulls).as_py():
            raise MalformedFile(
                f"{f.name}: table {c.name}: column {col.name!r} is NOT NULL in the contract "
                f"but {count} {'changes' if col.name == c.key else 'inserts/updates'} have null"
            )


def read_changes(lake: Lake, c: TableContract, f: RawFile) -> tuple[pa.Table, list[str]]:
    """The file's rows as changes, and the names of columns the contract does not know."""
    raw = _load(lake, f)
    names = raw.column_names
    n = raw.num_rows
    if c.key not in names:
        raise SchemaDriftError(
            f"table {c.name}: key column {c.key!r} is missing from {f.name}; the source dropped "
            f"its primary key — fix the source or the contract"
        )
    op = _ops(f, raw)
    ts = _commit_times(f, raw)
    out = {"_op": op, "_pos": _positions(f, raw, ts), "_commit_ts": ts}
    for col in c.columns:
        if col.name in names:
            out[col.name] = _cast_column(f, c, col.name, raw[col.name], f.fmt == "csv")
        elif col.nullable:
            out[col.name] = pa.nulls(n, col.arrow_type)
        else:
            raise SchemaDriftError(f"table {c.name}: required column {col.name!r} is missing from {f.name}")
    _check_nulls(f, c, op, out)
    extra = [x for x in names if x not in out and x not in DMS_COLUMNS]
    for x in extra:
        out[x] = raw[x]
    return pa.table(out), extra
