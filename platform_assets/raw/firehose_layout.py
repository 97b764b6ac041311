"""Kinesis Firehose's S3 layout for the events of a stream: write, name, list, read.

Firehose delivers gzip newline-delimited JSON to `<prefix>/YYYY/MM/DD/HH/` (UTC, the arrival
hour of the oldest record in the buffer) as `<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<id>.gz`.
The local producer and the Kinesis consumer write exactly that (with `.json.gz`, Firehose's
`FileExtension` option), so a real delivery stream can replace either without any change
downstream. Keys are `YYYY/MM/DD/HH/<name>` relative to the stream's prefix; they sort by hour.
"""

from __future__ import annotations

import gzip
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyarrow.fs as pafs

from platform_assets.lake import Lake
from platform_assets.storage.files import write_bytes_atomic

VERSION = 1
SUFFIXES = (".json.gz", ".gz")


def stream_prefix(lake: Lake, stream: str) -> str:
    return lake.uri("raw", "events", stream)


def quarantine_prefix(lake: Lake, stream: str) -> str:
    return lake.uri("raw", "_quarantine", "events", stream)


def hour_of(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hour_path(hour: datetime) -> str:
    return f"{hour:%Y/%m/%d/%H}"


def object_name(stream: str, delivered_at: datetime, unique: str | None = None) -> str:
    """Firehose's object name; `unique` replaces its random suffix to make writes idempotent."""
    return (
        f"{stream}-{VERSION}-{delivered_at.astimezone(UTC):%Y-%m-%d-%H-%M-%S}-"
        f"{unique or uuid.uuid4()}.json.gz"
    )


@dataclass(frozen=True, order=True)
class LandedFile:
    key: str  # YYYY/MM/DD/HH/<name>, relative to the stream's prefix
    uri: str

    @property
    def hour(self) -> datetime:
        y, m, d, h = self.key.split("/")[:4]
        return datetime(int(y), int(m), int(d), int(h), tzinfo=UTC)

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


def is_landed_key(key: str) -> bool:
    """Whether `key` (relative to the stream's prefix) names a landed object: YYYY/MM/DD/HH/<name>."""
    parts = key.split("/")
    if len(parts) != 5 or not parts[4].endswith(SUFFIXES) or parts[4].startswith("."):
        return False
    try:
        datetime(int(parts[0]), int(parts[1]), int(parts[2]), int(parts[3]))
    except ValueError:
        return False
    return True


def parse_key(lake: Lake, stream: str, key: str) -> LandedFile | None:
    if not is_landed_key(key):
        return None
    return LandedFile(key, f"{stream_prefix(lake, stream)}/{key}")


def write_ndjson_gz(lake: Lake, uri: str, lines: Iterable[bytes]) -> None:
    """One gzip NDJSON object, written whole and durably (storage/files.py)."""
    body = gzip.compress(b"".join(line.rstrip(b"\n") + b"\n" for line in lines), 6)
    write_bytes_atomic(lake, uri, body)


@dataclass(frozen=True)
class GzipLines:
    """The records of a landed object, and what could not be read of it.

    `broken` says why the gzip stream stops early (truncated upload, corrupt bytes); then
    `lines` holds every complete line before the break and `tail` the unfinished one (b"" if
    the break fell on a line end). An object that is not gzip at all has no lines.
    """

    lines: list[bytes]
    tail: bytes = b""
    broken: str | None = None
    not_gzip: bool = False


GZIP_MAGIC = b"\x1f\x8b"


def _inflate(data: bytes) -> tuple[bytes, str | None]:
    """Decompress gzip members one after another (Firehose may concatenate them), keeping
    whatever decodes before a break, and why it broke."""
    out, rest = [], data
    while rest:
        d = zlib.decompressobj(wbits=31)
        try:
            out.append(d.decompress(rest))
        except zlib.error as exc:
            return b"".join(out), f"corrupt gzip data: {exc}"
        if not d.eof:
            out.append(d.flush())
            return b"".join(out), "the gzip stream ends before its end marker"
        rest = d.unused_data
        if rest and not rest.startswith(GZIP_MAGIC):
            return b"".join(out), "bytes after the last gzip member are not gzip"
    return b"".join(out), None


def read_lines(lake: Lake, uri: str) -> GzipLines:
    """The lines of a landed object; a broken stream keeps its complete lines (see GzipLines)."""
    with lake.filesystem().open_input_stream(lake.fs_path(uri), compression=None) as stream:
        data = stream.read()
    return split_lines(data)


def split_lines(data: bytes) -> GzipLines:
    """The lines of a landed object's bytes (also what the Spark twin reads: binaryFile)."""
    if not data.startswith(GZIP_MAGIC):
        return GzipLines([], data[:200], "it does not start with the gzip magic bytes", not_gzip=True)
    text, broken = _inflate(data)
    parts = text.split(b"\n")
    tail = b""
    if broken is not None:
        tail = parts.pop()  # unfinished: the line end never arrived
    return GzipLines([line for line in parts if line.strip()], tail, broken)


def exists(lake: Lake, uri: str) -> bool:
    return lake.filesystem().get_file_info(lake.fs_path(uri)).type == pafs.FileType.File


# -- listing ---------------------------------------------------------------------------------


def _local_after(lake: Lake, base: str, after: str) -> Iterator[str]:
    """Keys under `base` sorting after `after`, in order, pruning whole folders before it."""
    fs = lake.filesystem()

    def walk(folder: str, depth: int, rel: str) -> Iterator[str]:
        infos = fs.get_file_info(pafs.FileSelector(folder, allow_not_found=True))
        for info in sorted(infos, key=lambda i: i.base_name):
            key = f"{rel}{info.base_name}"
            if depth < 4:
                if info.type == pafs.FileType.Directory and key >= after[: len(key)]:
                    yield from walk(info.path, depth + 1, key + "/")
            elif info.type == pafs.FileType.File and key > after:
                yield key

    yield from walk(base, 0, "")


def _s3_after(lake: Lake, base: str, after: str, page_size: int) -> Iterator[str]:
    s3 = lake.s3_client()  # the lake's AWS settings: credentials, timeouts, retries
    bucket, _, prefix = base.partition("/")
    kwargs = {"Bucket": bucket, "Prefix": prefix + "/", "PaginationConfig": {"PageSize": page_size}}
    if after:
        kwargs["StartAfter"] = f"{prefix}/{after}"
    for page in s3.get_paginator("list_objects_v2").paginate(**kwargs):
        for obj in page.get("Contents", []):
            yield obj["Key"][len(prefix) + 1 :]


def list_after(
    lake: Lake,
    stream: str,
    after: str = "",
    limit: int | None = None,
    until: str | None = None,
    page_size: int = 1000,
) -> list[LandedFile]:
    """Landed files whose key sorts after `after` (and before `until`), oldest hour first.

    Paginated on S3 (`list_objects_v2` with StartAfter) and pruned locally, so a sensor
    pays for what is new, not for the stream's history.
    """
    base = lake.fs_path(stream_prefix(lake, stream))
    keys = _s3_after(lake, base, after, page_size) if lake.is_s3 else _local_after(lake, base, after)
    found: list[LandedFile] = []
    for key in keys:
        if until is not None and key >= until:
            break
        if f := parse_key(lake, stream, key):
            found.append(f)
            if limit is not None and len(found) >= limit:
                break
    return found


def list_hours(lake: Lake, stream: str, first_hour: datetime, end_hour: datetime) -> list[LandedFile]:
    """Landed files of the arrival hours [first_hour, end_hour)."""
    if end_hour <= first_hour:
        return []
    start = hour_path(first_hour - timedelta(hours=1)) + "/~"  # after every key of the hour before
    return list_after(lake, stream, after=start, until=hour_path(end_hour))
