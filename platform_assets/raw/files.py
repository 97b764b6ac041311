"""Listing, writing and quarantining raw-zone files through a pyarrow filesystem.

Works for a local folder and for S3 alike. Writes go to a temporary name and are renamed
(locally) so a reader never sees half a file; on S3 a single PUT is already atomic.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow.fs as pafs

from platform_assets.lake import Lake
from platform_assets.raw.dms_layout import RawFile, is_own_temp_file, parse_name


def list_table_folder(lake: Lake, schema: str, table: str) -> tuple[list[RawFile], list[str]]:
    """A table's DMS files in source order, and every other name in its folder (a folder
    name ends in `/`), except our own writers' temporary files."""
    fs = lake.filesystem()
    prefix = lake.raw_cdc_prefix(schema, table)
    infos = fs.get_file_info(pafs.FileSelector(lake.fs_path(prefix), allow_not_found=True))
    files, unrecognized = [], []
    for info in infos:
        if info.type == pafs.FileType.File and (f := parse_name(f"{prefix}/{info.base_name}")):
            files.append(f)
        elif info.type == pafs.FileType.Directory:
            unrecognized.append(f"{info.base_name}/")
        elif not is_own_temp_file(info.base_name):
            unrecognized.append(info.base_name)
    return sorted(files), sorted(unrecognized)


def list_raw_files(lake: Lake, schema: str, table: str) -> list[RawFile]:
    """Every DMS file of a table, in source order."""
    return list_table_folder(lake, schema, table)[0]


REASON_SUFFIX = ".reason.txt"
REPLACED_FOLDER = "_replaced"  # earlier quarantined copies of a name quarantined again
EARLIER_MARK = "--- earlier reason ---"


def quarantine(lake: Lake, schema: str, table: str, f: RawFile, reason: str) -> str:
    """Move a file that cannot be applied aside, with its reason next to it. Loses nothing:
    a name quarantined again (a fix that failed) keeps the earlier copy under `_replaced/`
    and the earlier reasons below the new one (raw/quarantine.py reads them)."""
    fs = lake.filesystem()
    dest_dir = lake.fs_path(lake.quarantine_prefix(schema, table))
    fs.create_dir(dest_dir, recursive=True)
    dest, reason_path = f"{dest_dir}/{f.name}", f"{dest_dir}/{f.name}{REASON_SUFFIX}"
    earlier = ""
    if fs.get_file_info(reason_path).type == pafs.FileType.File:
        with fs.open_input_stream(reason_path) as old:
            earlier = f"{EARLIER_MARK}\n{old.read().decode()}"
    if fs.get_file_info(dest).type == pafs.FileType.File:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        fs.create_dir(f"{dest_dir}/{REPLACED_FOLDER}", recursive=True)
        fs.move(dest, f"{dest_dir}/{REPLACED_FOLDER}/{f.name}.{stamp}")
    with fs.open_output_stream(reason_path) as out:
        out.write(f"{f.uri}\n{reason}\n{earlier}".encode())
    fs.copy_file(lake.fs_path(f.uri), dest)
    fs.delete_file(lake.fs_path(f.uri))
    return f"{lake.quarantine_prefix(schema, table)}/{f.name}"


def list_quarantined(lake: Lake, schema: str, table: str) -> list[str]:
    """Names of the files in the table's quarantine (not their reasons or replaced copies)."""
    fs = lake.filesystem()
    base = lake.fs_path(lake.quarantine_prefix(schema, table))
    infos = fs.get_file_info(pafs.FileSelector(base, allow_not_found=True))
    return sorted(
        i.base_name for i in infos if i.type == pafs.FileType.File and not i.base_name.endswith(REASON_SUFFIX)
    )
