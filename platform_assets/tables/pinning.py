"""Read an upstream Delta asset at exactly the version its last materialization produced.

Why: a downstream asset (an ML dataset, a report) that reads "the table now" can see rows
committed after the run it depends on. Every processed/curated materialization records
`delta_version`; reading at that version makes the input reproducible, and the version read
goes into the downstream asset's own metadata.
"""

from __future__ import annotations

import pyarrow as pa
from dagster import AssetKey, DagsterInstance

from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.tables.asof import read_as_of
from platform_assets.tables.refs import TableRef

VERSION_KEY = "delta_version"


def materialized_version(instance: DagsterInstance, ref: TableRef) -> int | None:
    """The Delta version recorded by the latest materialization of the table's asset."""
    event = instance.get_latest_materialization_event(AssetKey(ref.key_path))
    if event is None or event.asset_materialization is None:
        return None
    value = event.asset_materialization.metadata.get(VERSION_KEY)
    return None if value is None else int(getattr(value, "value", value))


def read_pinned(
    instance: DagsterInstance, lake: Lake, ref: TableRef, columns: list[str] | None = None
) -> tuple[pa.Table, int]:
    """Rows of the table at its last materialized version, and that version."""
    version = materialized_version(instance, ref)
    if version is None:
        raise PlatformError(
            f"{ref} has no materialization with a {VERSION_KEY}; materialize {'/'.join(ref.key_path)} first"
        )
    return read_as_of(lake, ref, version, columns=columns), version
