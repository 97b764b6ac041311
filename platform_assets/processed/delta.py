"""The processed Delta tables: creation, layout, and the applied position in the commit.

The position of the last applied change (`lakehouse.watermark`) is written in the same Delta
commit as the data it covers, so data and position can never disagree after a crash.
"""

from __future__ import annotations

import pyarrow as pa
from deltalake import DeltaTable

from platform_assets.contracts import TableContract
from platform_assets.contracts.model import KEY_BUCKET_COLUMN
from platform_assets.lake import Lake
from platform_assets.processed.changes import key_buckets
from platform_assets.storage.delta import (
    CHANGE_FEED_PROPERTY,
    STATS_COLUMNS_PROPERTY,
    ensure_properties,
    open_table,
)

WATERMARK_KEY = "lakehouse.watermark"


def table_properties(c: TableContract) -> dict[str, str]:
    return {
        # curated tables follow processed ones through the change data feed
        CHANGE_FEED_PROPERTY: "true",
        # statistics where they rule files out (contracts/model.py, TableContract.stats_columns)
        STATS_COLUMNS_PROPERTY: ",".join(c.stats_columns),
    }


def open_or_create_processed(lake: Lake, c: TableContract) -> DeltaTable:
    dt = open_table(lake, "processed", c.name)
    if dt is not None:
        return dt
    return DeltaTable.create(
        lake.delta_uri("processed", c.name),
        c.processed_schema(),
        mode="ignore",
        partition_by=[KEY_BUCKET_COLUMN],
        name=c.name,
        description=c.description,
        configuration=table_properties(c),
        storage_options=lake.storage_options,
    )


def sync_table_properties(dt: DeltaTable, c: TableContract, watermark: str) -> bool:
    """A table created before one of `table_properties` existed, or under an older contract
    (other clustering columns), takes the contract's, with the unchanged watermark."""
    return ensure_properties(dt, table_properties(c), {WATERMARK_KEY: watermark})


def read_keys(dt: DeltaTable, c: TableContract, keys: pa.Array, columns: list[str] | None = None) -> pa.Table:
    """Current rows for some keys, opening only the partitions that can hold them."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    buckets = pc.unique(key_buckets(keys, c)).to_pylist()
    if not buckets:
        return dt.schema().to_arrow().empty_table() if columns is None else pa.table({})
    dataset = dt.to_pyarrow_dataset(
        file_pruning_predicate=f"{KEY_BUCKET_COLUMN} IN ({', '.join(map(str, buckets))})"
    )
    return dataset.to_table(filter=ds.field(c.key).isin(keys), columns=columns)
