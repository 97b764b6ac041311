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
    prepare_parent(lake, path)
    parent, name = path.rsplit("/", 1)
    tmp = f"{parent}/{TMP_PREFIX}{name}-{uuid.uuid4().hex[:8]}{TMP_SUFFIX}"
    with fs.open_output_stream(tmp, compression=None) as out:
        out.write(data)
    _fsync(tmp)
    fs.move(tmp, path)
    _fsync(parent)


def prepare_parent(lake: Lake, path: str) -> None:
    """Create a file's folder before writing it (`path` of the lake's filesystem): locally only.
    S3 has no folders, and pyarrow's create_dir there leaves an empty "directory" object, which
    a tool copying the bucket to disk turns into a file where a folder must be."""
    if not lake.is_s3:
        lake.filesystem().create_dir(path.rsplit("/", 1)[0], recursive=True)


def delete_folder(lake: Lake, path: str) -> None:
    """Delete everything under `path` (of the lake's filesystem). On S3 through the S3 API:
    pyarrow's delete_dir leaves an empty "directory" object for the parent."""
    if not lake.is_s3:
        lake.filesystem().delete_dir(path)
        return
    bucket, _, prefix = path.partition("/")
    s3 = lake.s3_client()
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/")
    keys = [{"Key": o["Key"]} for page in pages for o in page.get("Contents", [])]
    for i in range(0, len(keys), 1000):  # the API's limit per call
        s3.delete_objects(Bucket=bucket, Delete={"Objects": keys[i : i + 1000], "Quiet": True})


def parquet_bytes(table: pa.Table, **options) -> bytes:
    """A table as Parquet bytes (zstd unless told otherwise)."""
    sink = io.BytesIO()
    pq.write_table(table, sink, **{"compression": "zstd", **options})
    return sink.getvalue()


def write_parquet_atomic(lake: Lake, uri: str, table: pa.Table, **options) -> None:
    write_bytes_atomic(lake, uri, parquet_bytes(table, **options))


def fsspec_filesystem(filesystem, protocol: str):
    """A pyarrow filesystem as an fsspec one answering `protocol://` (DuckDB reads through it
    where its `httpfs` extension cannot be downloaded)."""
    from fsspec.implementations.arrow import ArrowFSWrapper

    class Wrapped(ArrowFSWrapper):
        pass

    Wrapped.protocol = protocol
    return Wrapped(filesystem)
