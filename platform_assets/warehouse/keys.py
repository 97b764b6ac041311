"""The warehouse's names in Dagster, in one place so the loader, the dbt sources and the
translator agree: asset keys (`warehouse/raw/<table>` for the loaded copies, `warehouse/<model>`
for dbt) and the pool every warehouse writer runs in."""

from __future__ import annotations

from dagster import AssetKey

PREFIX = "warehouse"
# one writer at a time: the local warehouse is a single DuckDB file (dagster.yaml pools)
POOL = "warehouse"


def raw_asset_key(table: str) -> AssetKey:
    return AssetKey([PREFIX, "raw", table])


def model_asset_key(name: str) -> AssetKey:
    return AssetKey([PREFIX, name])
