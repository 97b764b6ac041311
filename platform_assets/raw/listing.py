"""Paginated listing of new raw files after a cursor, for sensors.

DMS names sort `LOAD...` after `2026...` as plain strings, so each table keeps two cursors
(full load and CDC) and lists each name family under its own prefix. On S3 this is
`list_objects_v2` with StartAfter, page by page; locally a sorted directory listing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow.fs as pafs

from platform_assets.lake import Lake
from platform_assets.raw.dms_layout import parse_name

FAMILIES = {"load": "LOAD", "cdc": ""}


def _local_names(lake: Lake, prefix: str) -> list[str]:
    infos = lake.filesystem().get_file_info(pafs.FileSelector(prefix, allow_not_found=True))
    return sorted(i.base_name for i in infos if i.type == pafs.FileType.File)


def _s3_pages(lake: Lake, prefix: str, family: str, start_after: str, page_size: int) -> Iterator[list[str]]:
    s3 = lake.s3_client()  # the lake's AWS settings: credentials, timeouts, retries
    bucket, _, key_prefix = prefix.partition("/")
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket,
        Prefix=f"{key_prefix}/{FAMILIES[family]}",
        StartAfter=f"{key_prefix}/{start_after}",
        PaginationConfig={"PageSize": page_size},
    )
    for page in pages:
        yield [o["Key"].rsplit("/", 1)[-1] for o in page.get("Contents", [])]


def new_files(
    lake: Lake, schema: str, table: str, family: str, after: str, page_size: int = 1000, limit: int = 10_000
) -> list[str]:
    """Names of DMS files of one family (`load` or `cdc`) sorting after `after`."""
    prefix = lake.fs_path(lake.raw_cdc_prefix(schema, table))
    pages = (
        _s3_pages(lake, prefix, family, after, page_size)
        if lake.is_s3
        else [[n for n in _local_names(lake, prefix) if n > after]]
    )
    found: list[str] = []
    for page in pages:
        for name in page:
            f = parse_name(name)
            if f is None or f.kind != family:
                if family == "cdc" and name.startswith("LOAD"):
                    return found  # CDC names all sort before LOAD names
                continue
            found.append(name)
            if len(found) >= limit:
                return found
    return found
