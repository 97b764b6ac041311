"""Read one DMS file (Parquet or CSV, full load or CDC) into rows of the contract's types.

The result always has `_op`, `_pos`, `_commit_ts`, then the contract columns, then any extra
columns the source grew (schema drift). `_pos` orders changes in source order: the DMS
change sequence when the file carries it, else the file's place in DMS order and the row's
place in the file.

Two kinds of failure, kept apart on purpose:
- MalformedFile: this file cannot be read (corrupt, bad Op, unparseable value); it goes to
  quarantine and the table goes on.
- SchemaDriftError: the source changed incompatibly (key dropped, type changed); the table
  stops with a clear error until the contract is changed, other tables go on.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from platform_assets.contracts import TableContract
from platform_assets.lake import Lake
from platform_assets.raw.dms_layout import CHANGE_SEQ_COLUMN, OP_COLUMN, TIMESTAMP_COLUMN, RawFile

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
        with fs.open_input_stream(lake.fs_path(f.uri)) as stream:
            return _read_csv_as_text(stream.read())
    except (pa.ArrowInvalid, OSError) as exc:
        raise MalformedFile(f"{f.name}: cannot read {f.fmt}: {exc}") from exc


def _read_csv_as_text(data: bytes) -> pa.Table:
    """DMS CSV with AddColumnName=true: a header row, every value as text, empty means null."""
    header = pacsv.read_csv(pa.BufferReader(data)).schema.names
    return pacsv.read_csv(pa.BufferReader(data), convert_options=pacsv.ConvertOptions(
        column_types={n: pa.string() for n in header}, strings_can_be_null=True,
        null_values=[""], quoted_strings_can_be_null=False))


def _parse_text(arr: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    if pa.types.is_timestamp(target):
        try:  # with a zone offset
            return pc.cast(arr, target)
        except pa.ArrowInvalid:  # DMS writes UTC without an offset
            return pc.cast(arr, pa.timestamp("us")).cast(target)
    if pa.types.is_boolean(target):
        return pc.cast(pc.utf8_lower(arr), target)
    return pc.cast(arr, target)


def _cast_column(f: RawFile, c: TableContract, name: str, arr: pa.ChunkedArray
                 ) -> pa.ChunkedArray:
    target = c.column(name).arrow_type
    if arr.type == target:
        return arr
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        try:
            return _parse_text(arr, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise MalformedFile(
                f"{f.name}: column {name!r}: cannot parse as {target}: {exc}") from exc
    if pa.types.is_timestamp(arr.type) and pa.types.is_timestamp(target):
        if arr.type.tz in (None, "UTC", "+00:00"):  # DMS writes UTC without a zone
            return pc.cast(arr, pa.timestamp("us")).cast(target)
    if (pa.types.is_decimal(arr.type) and pa.types.is_decimal(target)
            and arr.type.scale == target.scale and arr.type.precision <= target.precision):
        return pc.cast(arr, target)  # a narrower precision fits: widening is safe
    raise SchemaDriftError(
        f"table {c.name}: column {name!r} is {arr.type} in {f.name} but the contract says "
        f"{target}; an incompatible type change: update the contract and reload the table")


def read_changes(lake: Lake, c: TableContract, f: RawFile) -> tuple[pa.Table, list[str]]:
    """The file's rows as changes, and the names of columns the contract does not know."""
    raw = _load(lake, f)
    names = raw.column_names
    n = raw.num_rows
    if c.key not in names:
        raise SchemaDriftError(
            f"table {c.name}: key column {c.key!r} is missing from {f.name}; the source dropped "
            f"its primary key — fix the source or the contract")
    if OP_COLUMN in names:
        op = pc.utf8_upper(raw[OP_COLUMN].cast(pa.string()))
        bad = pc.invert(pc.is_in(op, pa.array(["I", "U", "D"]))).to_pylist()
        if any(b is not False for b in bad):
            raise MalformedFile(f"{f.name}: column 'Op' holds values other than I, U, D")
    else:  # full-load files carry no Op column (DMS IncludeOpForFullLoad=false)
        op = pa.chunked_array([pa.array(["I"] * n, pa.string())])
    if CHANGE_SEQ_COLUMN in names:
        pos = pc.binary_join_element_wise("1|", raw[CHANGE_SEQ_COLUMN].cast(pa.string()), "")
    else:
        rows = pc.utf8_lpad(pc.cast(pa.array(range(n), pa.int64()), pa.string()), 10, "0")
        pos = pc.binary_join_element_wise(f"{f.sort_key}|", rows, "")
    ts = raw[TIMESTAMP_COLUMN] if TIMESTAMP_COLUMN in names else pa.nulls(n, TS_TYPE)
    if not pa.types.is_timestamp(ts.type) or ts.type.tz is None:
        ts = pc.cast(ts, pa.timestamp("us")).cast(TS_TYPE)
    out = {"_op": op, "_pos": pos, "_commit_ts": pc.cast(ts, TS_TYPE)}
    for col in c.columns:
        if col.name in names:
            out[col.name] = _cast_column(f, c, col.name, raw[col.name])
        elif col.nullable:
            out[col.name] = pa.nulls(n, col.arrow_type)
        else:
            raise SchemaDriftError(
                f"table {c.name}: required column {col.name!r} is missing from {f.name}")
        if not col.nullable and out[col.name].null_count and col.name == c.key:
            raise MalformedFile(f"{f.name}: key column {c.key!r} has nulls")
    extra = [x for x in names if x not in out and x not in (OP_COLUMN, TIMESTAMP_COLUMN,
                                                             CHANGE_SEQ_COLUMN)]
    for x in extra:
        out[x] = raw[x]
    return pa.table(out), extra
