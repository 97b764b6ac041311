"""Decoded changes of one table -> one DMS-format CDC Parquet file in the raw zone.

The file is what an AWS DMS task with `TimestampColumnName=_commit_ts` and an
`AR_H_CHANGE_SEQ` header column writes: `Op` first, then the commit time and change sequence,
then the contract's columns in contract types, then any columns the source has that the
contract lacks (as text, so the apply side can see the drift and evolve).

Bytes are a pure function of the rows (fixed compression, no clocks or random ids in the
metadata), so a rerun after a crash rewrites the very same file under the very same name.
Each file also records the end LSN of the capture batch it belongs to, which lets a rerun
cut its batch exactly where the interrupted one ended (see capture.py).

An UPDATE that changes the primary key becomes two rows: a D with the old row image, then a
U with the new one, at consecutive change sequences of the same transaction (`row_images`).
Why: DMS's S3 target writes one row per change and, for an UPDATE, the new row image only (its
S3 format has no before image), so one row cannot say "key A is now key B" and a reader that
folds changes by key keeps A for ever. The D + U pair is the same change in a form every
last-change-per-key reader applies correctly (key swaps and repeated re-keying in one
transaction included), and the U row is the very row DMS writes for the update.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from platform_assets.contracts import TableContract
from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.raw.cdc_capture.pgoutput import RowChange
from platform_assets.raw.dms_layout import (
    CHANGE_SEQ_COLUMN,
    OP_COLUMN,
    TIMESTAMP_COLUMN,
    cdc_file_name,
)

END_LSN_KEY = b"lakehouse.cdc.batch_end_lsn"
TS_TYPE = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class CdcRow:
    op: str
    commit_ts: datetime
    change_seq: str  # f"{commit_lsn:020d}{seq_in_txn:015d}": sorts in source order
    values: dict[str, str | None]


def change_seq(commit_lsn: int, seq_in_txn: int) -> str:
    return f"{commit_lsn:020d}{seq_in_txn:015d}"


def row_values(change: RowChange) -> dict[str, str | None]:
    """The row image DMS writes: the new row for I/U, the old one for D.

    An UPDATE that leaves a TOASTed value alone sends it as 'unchanged'; with REPLICA
    IDENTITY FULL the old row has it. If it does not, we stop rather than write a null.
    """
    if change.op == "D":
        return dict(change.old or {})
    values = dict(change.new or {})
    for name in sorted(change.unchanged):
        if change.old is None or name not in change.old:
            raise PlatformError(
                f"table {change.schema}.{change.table}: update left TOASTed column {name!r} "  # noqa: S608 -- a message
                f"unchanged and the old row does not carry it; set REPLICA IDENTITY FULL"
            )
        values[name] = change.old[name]
    return values


def row_images(change: RowChange, key: str) -> list[tuple[str, dict[str, str | None]]]:
    """The (Op, row) pairs one source change becomes: one, or a D of the old key followed by
    the U of the new one when an UPDATE changes the key (see the module docstring).

    pgoutput sends the old row of such an UPDATE: all of it under REPLICA IDENTITY FULL (then
    the D carries the whole old row, as DMS's deletes do), the old key alone ('K') under DEFAULT.
    """
    values = row_values(change)
    old = change.old or {}
    if change.op == "U" and key in old and old[key] != values.get(key):
        return [("D", dict(old)), ("U", values)]
    return [(change.op, values)]


def _typed(table: str, name: str, texts: list[str | None], target: pa.DataType) -> pa.Array:
    if pa.types.is_boolean(target):
        bools = {"t": True, "f": False, "true": True, "false": False, None: None}
        bad = [t for t in texts if t not in bools]
        if bad:
            raise PlatformError(f"table {table}: column {name!r}: {bad[0]!r} is not a boolean")
        return pa.array([bools[t] for t in texts], target)
    try:
        return pa.array(texts, pa.string()).cast(target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise PlatformError(f"table {table}: column {name!r}: cannot convert to {target}: {exc}") from exc


def to_arrow(contract: TableContract, rows: list[CdcRow], batch_end_lsn: int) -> pa.Table:
    """Rows in the order given (source order), DMS columns, contract columns, drift columns."""
    known = set(contract.column_names)
    extra = list(dict.fromkeys(n for r in rows for n in r.values if n not in known))
    fields = [
        pa.field(OP_COLUMN, pa.string(), nullable=False),
        pa.field(TIMESTAMP_COLUMN, TS_TYPE, nullable=False),
        pa.field(CHANGE_SEQ_COLUMN, pa.string(), nullable=False),
    ]
    arrays = [
        pa.array([r.op for r in rows], pa.string()),
        pa.array([r.commit_ts for r in rows], TS_TYPE),
        pa.array([r.change_seq for r in rows], pa.string()),
    ]
    for f in contract.arrow_schema():
        texts = [r.values.get(f.name) for r in rows]
        if None in texts:  # a key-only delete, or a column the source does not have (yet)
            if f.name == contract.key:
                raise PlatformError(f"table {contract.name}: a change has no key {f.name!r}")
            f = f.with_nullable(True)
        fields.append(f)
        arrays.append(_typed(contract.name, f.name, texts, f.type))
    for name in extra:
        fields.append(pa.field(name, pa.string()))
        arrays.append(pa.array([r.values.get(name) for r in rows], pa.string()))
    schema = pa.schema(fields, metadata={END_LSN_KEY: str(batch_end_lsn).encode()})
    return pa.Table.from_arrays(arrays, schema=schema)


def parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", write_statistics=True)
    return sink.getvalue().to_pybytes()


def _existing(fs: pafs.FileSystem, path: str) -> tuple[str, int | None] | None:
    """(first change seq, batch end LSN) of a file already there, None if there is none."""
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return None
    try:
        with fs.open_input_file(path) as f:
            pf = pq.ParquetFile(f)
            meta = pf.schema_arrow.metadata or {}
            first = pf.read_row_group(0, columns=[CHANGE_SEQ_COLUMN]).column(0)[0].as_py()
    except (pa.ArrowInvalid, KeyError, IndexError, OSError):
        return ("", None)  # not one of ours (or unreadable): never overwrite it
    end = meta.get(END_LSN_KEY)
    return first, int(end) if end else None


def locate(lake: Lake, contract: TableContract, batch_ts: datetime, first_seq: str) -> tuple[str, int | None]:
    """The file name for a batch, and the batch end LSN of the file already there, if any.

    The name is the batch's first commit time (DMS naming, ms); when another batch took that
    name (same millisecond), it moves on by 1 ms until the name is free or holds this very
    batch (same first change seq), which a rerun then rewrites identically.
    """
    fs, prefix, ts = lake.filesystem(), lake.raw_cdc_prefix(contract.schema, contract.name), batch_ts
    while True:
        uri = f"{prefix}/{cdc_file_name(ts)}"
        found = _existing(fs, lake.fs_path(uri))
        if found is None:
            return uri, None
        if found[0] == first_seq:
            return uri, found[1]
        ts += timedelta(milliseconds=1)
