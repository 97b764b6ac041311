"""Durable, atomic object writes on a local folder or S3 alike.

Locally: write a temporary name in the same folder, fsync it, rename it over the target, fsync
the folder, so a reader sees the whole file or none of it, even after a power cut. On S3 a
single PUT is already atomic (the object appears whole or not at all).

Temporary names start with `.` and end with `.tmp`; listings of the lake skip them.
"""

from __future__ import annotations

import io
import os
import re
import uuid

import pyarrow as pa
import pyarrow.parquet as pq

from platform_assets.lake import Lake

TMP_PREFIX = "."
TMP_SUFFIX = ".tmp"
# `.<name>-<hex>.tmp` now; `.tmp-<32 hex>` is what earlier versions left after a crash
_TEMPORARY = re.compile(r"^\.(.+\.tmp|tmp-[0-9a-f]{32})$")


def is_temporary(name: str) -> bool:
    """A name this module writes before the rename (never a finished file)."""
    return bool(_TEMPORARY.match(name))


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes_atomic(lake: Lake, uri: str, data: bytes) -> None:
    """Write `data` at `uri` whole or not at all, durable once this returns."""
    fs, path = lake.filesystem(), lake.fs_path(uri)
    if lake.is_s3:
        with fs.open_output_stream(path, compression=None) as out:
            out.write(data)
        return
    parent, name = path.rsplit("/", 1)
    fs.create_dir(parent, recursive=True)
    tmp = f"{parent}/{TMP_PREFIX}{name}-{uuid.uuid4().hex[:8]}{TMP_SUFFIX}"
    with fs.open_output_stream(tmp, compression=None) as out:
        out.write(data)
    _fsync(tmp)
    fs.move(tmp, path)
    _fsync(parent)


def parquet_bytes(table: pa.Table, **options) -> bytes:
    """A table as Parquet bytes (zstd unless told otherwise)."""
    sink = io.BytesIO()
    pq.write_table(table, sink, **{"compression": "zstd", **options})
    return sink.getvalue()


def write_parquet_atomic(lake: Lake, uri: str, table: pa.Table, **options) -> None:
    write_bytes_atomic(lake, uri, parquet_bytes(table, **options))
