"""The data files a Delta table's folder holds, whatever version needs them.

Why: VACUUM measures what it deleted by listing the folder, and a restore checks that the
target version's files are still there before it changes anything.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.fs as pafs
from deltalake import DeltaTable

from platform_assets.lake import Lake


def stored_files(lake: Lake, table_uri: str) -> dict[str, int]:
    """Data files under the table's folder (not the log): path relative to it -> size."""
    base = lake.fs_path(table_uri).rstrip("/")
    infos = lake.filesystem().get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
    return {
        i.path[len(base) + 1 :]: i.size
        for i in infos
        if i.type == pafs.FileType.File and not i.path[len(base) :].startswith("/_delta_log/")
    }


def missing_files(lake: Lake, table_uri: str, dt: DeltaTable) -> list[str]:
    """Files the loaded version of `dt` needs that are no longer stored (vacuumed)."""
    stored = stored_files(lake, table_uri)
    paths = pa.table(dt.get_add_actions()).column("path").to_pylist()
    return [p for p in paths if relative(lake, table_uri, p) not in stored]


def relative(lake: Lake, table_uri: str, path: str) -> str:
    """A path as delta-rs reports it (relative, absolute or a URI) relative to the table."""
    from urllib.parse import unquote

    base = lake.fs_path(table_uri).rstrip("/")
    path = unquote(lake.fs_path(path.removeprefix("file://")))
    return path[len(base) + 1 :] if path.startswith(base + "/") else path
