"""Listing, writing and quarantining raw-zone files through a pyarrow filesystem.

Works for a local folder and for S3 alike. Writes go to a temporary name and are renamed
(locally) so a reader never sees half a file; on S3 a single PUT is already atomic.
"""

from __future__ import annotations

import uuid

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from platform_assets.lake import Lake
from platform_assets.raw.dms_layout import RawFile, parse_name


def list_raw_files(lake: Lake, schema: str, table: str) -> list[RawFile]:
    """Every DMS file of a table, in source order."""
    fs = lake.filesystem()
    base = lake.fs_path(lake.raw_cdc_prefix(schema, table))
    infos = fs.get_file_info(pafs.FileSelector(base, allow_not_found=True))
    files = []
    for info in infos:
        if info.type == pafs.FileType.File and (f := parse_name(lake.raw_cdc_prefix(
                schema, table) + "/" + info.base_name)):
            files.append(f)
    return sorted(files)


def write_parquet_atomic(lake: Lake, uri: str, table: pa.Table) -> None:
    fs = lake.filesystem()
    path = lake.fs_path(uri)
    parent = path.rsplit("/", 1)[0]
    fs.create_dir(parent, recursive=True)
    if lake.is_s3:
        pq.write_table(table, path, filesystem=fs, compression="zstd")
        return
    tmp = f"{parent}/.tmp-{uuid.uuid4().hex}"
    pq.write_table(table, tmp, filesystem=fs, compression="zstd")
    fs.move(tmp, path)


def quarantine(lake: Lake, schema: str, table: str, f: RawFile, reason: str) -> str:
    """Move a file that cannot be applied aside, with its reason next to it. Loses nothing."""
    fs = lake.filesystem()
    dest_dir = lake.fs_path(lake.quarantine_prefix(schema, table))
    fs.create_dir(dest_dir, recursive=True)
    with fs.open_output_stream(f"{dest_dir}/{f.name}.reason.txt") as out:
        out.write(f"{f.uri}\n{reason}\n".encode())
    fs.copy_file(lake.fs_path(f.uri), f"{dest_dir}/{f.name}")
    fs.delete_file(lake.fs_path(f.uri))
    return f"{lake.quarantine_prefix(schema, table)}/{f.name}"


def list_quarantined(lake: Lake, schema: str, table: str) -> list[str]:
    fs = lake.filesystem()
    base = lake.fs_path(lake.quarantine_prefix(schema, table))
    infos = fs.get_file_info(pafs.FileSelector(base, allow_not_found=True))
    return sorted(i.base_name for i in infos if not i.base_name.endswith(".reason.txt"))
