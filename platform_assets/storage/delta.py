"""Opening the lake's Delta tables, and the platform's state values in their commits.

Every zone opens tables and reads its state (a watermark, a source version) the same way, on a
folder or on S3; the rule that keeps state from going backwards is in `delta_log.custom_values`.
"""

from __future__ import annotations

from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from platform_assets.lake import Lake
from platform_assets.storage.delta_log import custom_values


def open_table(lake: Lake, zone: str, name: str) -> DeltaTable | None:
    """A zone's Delta table, or None if it has never been written."""
    try:
        return DeltaTable(lake.delta_uri(zone, name), storage_options=lake.storage_options)
    except TableNotFoundError:
        return None


def committed_value(lake: Lake, dt: DeltaTable, key: str, default: str = "", lookback: int = 200) -> str:
    """The table's current value of a state key (`lakehouse.*`), by the rule that keeps state
    from going backwards under concurrent maintenance commits (`delta_log.custom_values`)."""
    uri = dt.table_uri.rstrip("/")
    uri = uri if lake.is_s3 else uri.removeprefix("file://")
    return custom_values(lake, uri, dt.version(), lookback).get(key, default)
