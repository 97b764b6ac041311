"""Reading Delta tables as of a version or a time, their history, and guarded restores.

One place for time travel so Dagster assets, the CLI (`lakehouse table ...`) and downstream
consumers (ML datasets pinned to a version) read old states the same way.
"""

from platform_assets.tables.asof import open_as_of, parse_as_of, read_as_of
from platform_assets.tables.history import Commit, table_history
from platform_assets.tables.refs import TableRef, delta_tables
from platform_assets.tables.restore import RestoreRecord, restore_table

__all__ = [
    "Commit",
    "RestoreRecord",
    "TableRef",
    "delta_tables",
    "open_as_of",
    "parse_as_of",
    "read_as_of",
    "restore_table",
    "table_history",
]
