"""How a Delta table is laid out: live files and bytes, and what its folder stores.

Why two views: OPTIMIZE changes the live snapshot (many small files become few) but deletes
nothing; VACUUM leaves the snapshot alone and deletes stored files no version needs any more.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable

from platform_assets.lake import Lake
from platform_assets.tables.files import stored_files


@dataclass(frozen=True)
class Layout:
    version: int
    files: int  # live data files in the current version
    bytes: int
    stored_files: int  # data files in the table's folder, live or not
    stored_bytes: int


def layout(lake: Lake, table_uri: str, dt: DeltaTable) -> Layout:
    actions = pa.table(dt.get_add_actions())
    stored = stored_files(lake, table_uri)
    return Layout(
        version=dt.version(),
        files=actions.num_rows,
        bytes=int(pc.sum(actions["size_bytes"]).as_py() or 0),
        stored_files=len(stored),
        stored_bytes=sum(stored.values()),
    )
