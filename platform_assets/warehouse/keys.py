"""Asset keys of the warehouse, in one place so the loader, the dbt sources and the
translator agree: `warehouse/raw/<table>` for the loaded copies, `warehouse/<model>` for dbt."""

from __future__ import annotations

from dagster import AssetKey

PREFIX = "warehouse"


def raw_asset_key(table: str) -> AssetKey:
    return AssetKey([PREFIX, "raw", table])


def model_asset_key(name: str) -> AssetKey:
    return AssetKey([PREFIX, name])
