"""The lake tables features are made of, read at exact Delta versions.

A dataset's pins are `{"curated.orders": 7, ...}`: the Delta version of each source table.
`current_pins` takes the newest versions once, and every read goes through
`read_sources(lake, pins)`, so a build and its rebuild read the same snapshots
(`DeltaTable(uri, version=v)`: Delta time travel). They come as Arrow datasets over the
version's files, read only as far as a query reads them, never loaded whole.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.dataset as ds
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError, TableNotFoundError

from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.ml.features import SOURCE_COLUMNS

Pins = dict[str, int]


def table_uri(lake: Lake, label: str) -> str:
    """`curated.orders` -> the table's URI in the lake."""
    zone, name = label.split(".", 1)
    return lake.delta_uri(zone, name)


def _open(lake: Lake, label: str, version: int | None = None) -> DeltaTable:
    try:
        return DeltaTable(table_uri(lake, label), version=version, storage_options=lake.storage_options)
    except TableNotFoundError:
        raise PlatformError(
            f"{label} has no Delta table at {table_uri(lake, label)}; materialize "
            f"{label.replace('.', '/')} before building an ML dataset"
        ) from None
    except (DeltaError, OSError, ValueError) as exc:
        raise PlatformError(f"{label} cannot be read at version {version}: {exc}") from None


def current_pins(lake: Lake) -> Pins:
    """The newest version of every source table, taken once."""
    return {label: _open(lake, label).version() for label in SOURCE_COLUMNS}


def read_sources(lake: Lake, pins: Pins) -> dict[str, ds.Dataset]:
    """Each source table at its pinned version, with the columns the features read."""
    missing = sorted(set(SOURCE_COLUMNS) - set(pins))
    if missing:
        raise PlatformError(f"the pins name no version for {', '.join(missing)}; pins: {pins}")
    return {
        label: _columns(_open(lake, label, pins[label]).to_pyarrow_dataset(), cols)
        for label, cols in SOURCE_COLUMNS.items()
    }


def _columns(dataset: ds.Dataset, columns: list[str]) -> ds.Dataset:
    """The dataset with only `columns` (a projection over the same files)."""
    return dataset.replace_schema(pa.schema([dataset.schema.field(c) for c in columns]))
