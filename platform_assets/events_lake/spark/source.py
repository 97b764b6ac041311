"""Where the streaming job reads landed Firehose objects: one switch, the same reader.

- `files`: Spark's file source (local runs and tests), `binaryFile` objects.
- `cloudfiles`: Databricks Auto Loader over the same prefix, `cloudFiles.format=binaryFile`
  (directory listing by default; file notification mode with `use_notifications`).

Either way each landed object arrives whole (path and bytes), so one object is parsed by one
call, as the local path reads it: line order within an object is kept (the first line of a
file wins among its copies) and a truncated gzip keeps its complete records. The glob is the
Firehose layout's depth (YYYY/MM/DD/HH/<name>); names starting with `.` or `_` (our writers'
temporary files) are skipped by Spark itself.
"""

from __future__ import annotations

from typing import Literal

from pyspark.sql import DataFrame, SparkSession

SourceKind = Literal["files", "cloudfiles"]
SOURCES: tuple[str, ...] = ("files", "cloudfiles")


def landed_glob(stream_prefix: str) -> str:
    """Every object of the Firehose layout under a stream's prefix."""
    return f"{stream_prefix.rstrip('/')}/*/*/*/*/*.gz"


def source_options(
    kind: SourceKind, max_files_per_trigger: int, use_notifications: bool = False
) -> tuple[str, dict[str, str]]:
    """(format, options) of the stream's reader."""
    if kind == "files":
        return "binaryFile", {"maxFilesPerTrigger": str(max_files_per_trigger)}
    if kind == "cloudfiles":
        return "cloudFiles", {
            "cloudFiles.format": "binaryFile",
            "cloudFiles.maxFilesPerTrigger": str(max_files_per_trigger),
            "cloudFiles.includeExistingFiles": "true",
            "cloudFiles.useNotifications": str(use_notifications).lower(),
        }
    raise ValueError(f"events stream: source {kind!r} is not one of {', '.join(SOURCES)}")


# binaryFile's fixed schema: a streaming file source must be given it (Auto Loader knows it)
BINARY_FILE_SCHEMA = "path string, modificationTime timestamp, length bigint, content binary"


def read_landed_stream(
    spark: SparkSession, stream_prefix: str, kind: SourceKind, max_files_per_trigger: int = 1000
) -> DataFrame:
    fmt, options = source_options(kind, max_files_per_trigger)
    reader = spark.readStream.format(fmt).options(**options)
    if kind == "files":
        reader = reader.schema(BINARY_FILE_SCHEMA)
    return reader.load(landed_glob(stream_prefix))
