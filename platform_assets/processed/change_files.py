"""The exact changes of a partition-rewrite commit, for the readers of the change feed.

A rewrite commit (processed/rewrite.py) replaces whole partition files, so the change data
feed Delta derives from it deletes every old row of those partitions and inserts every new
one: correct, but as wide as the partitions. Curated would then read and merge all of it. So
the rewrite first writes the batch's folded changes (one row per key, `_op` I/U/D) as one
Parquet file under the table's `_lakehouse_changes/` folder and names it in the commit
(`CHANGES_FILE_KEY`, an audit key: it describes that commit only). A reader of the feed takes
that file for that version instead of the derived feed (`feed_of`).

- A crash after the file and before the commit leaves a file no commit names: never read,
  removed with the old ones below.
- Files are kept as long as the table's removed data files (the contract's VACUUM
  retention): past that the feed of those versions is gone anyway, and a reader rebuilds.
- VACUUM leaves `_`-prefixed folders alone, so the pruning here is the only one.
"""

from __future__ import annotations

import time
import uuid

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from platform_assets.lake import Lake
from platform_assets.storage.delta import parquet_write_options
from platform_assets.storage.delta_log import AUDIT_PREFIX, commit_infos
from platform_assets.storage.files import prepare_parent

CHANGES_FILE_KEY = f"{AUDIT_PREFIX}changes_file"
FOLDER = "_lakehouse_changes"


def _table_path(lake: Lake, table_uri: str) -> str:
    return lake.fs_path(table_uri.removeprefix("file://").rstrip("/"))


def write_changes(lake: Lake, table_uri: str, changes: pa.Table, retention_hours: int) -> str:
    """Write the folded changes; returns the path to name in the commit (relative to the
    table). Prunes the files older than the retention first."""
    fs, folder = lake.filesystem(), f"{_table_path(lake, table_uri)}/{FOLDER}"
    cutoff_ns = time.time_ns() - retention_hours * 3600 * 10**9
    for info in fs.get_file_info(pafs.FileSelector(folder, allow_not_found=True)):
        if info.type == pafs.FileType.File and info.mtime_ns is not None and info.mtime_ns < cutoff_ns:
            fs.delete_file(info.path)
    name = f"{FOLDER}/{uuid.uuid4().hex}.parquet"
    path = f"{_table_path(lake, table_uri)}/{name}"
    prepare_parent(lake, path)
    # the lake's encodings and compression; no statistics: the file is always read whole
    options = {**parquet_write_options(changes.schema), "write_statistics": False}
    pq.write_table(changes, path, filesystem=fs, **options)
    return name


def feed_of(lake: Lake, table_uri: str, relative: str, version: int) -> pa.Table:
    """One rewrite commit's changes in the change-feed shape curated reads: `_change_type`
    `delete` for a D, `update_postimage` for the rest (an upsert either way), and
    `_commit_version`. Raises FileNotFoundError when the file is gone (past retention)."""
    changes = pq.read_table(f"{_table_path(lake, table_uri)}/{relative}", filesystem=lake.filesystem())
    kind = pc.if_else(pc.equal(changes["_op"], "D"), "delete", "update_postimage")
    return (
        changes.drop_columns(["_op"])
        .append_column("_change_type", kind)
        .append_column("_commit_version", pa.array([version] * changes.num_rows, pa.int64()))
    )


def changes_files_since(lake: Lake, table_uri: str, since: int, newest: int) -> dict[int, str]:
    """The versions after `since` (up to `newest`) that name a changes file, and its path."""
    infos = commit_infos(lake, _table_path(lake, table_uri), newest, limit=newest - since)
    return {
        i["version"]: i[CHANGES_FILE_KEY] for i in infos if i["version"] > since and CHANGES_FILE_KEY in i
    }
