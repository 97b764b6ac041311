"""The warehouse's names, in one place so the loader, the dbt sources and the translator agree:
the schema the loader fills with the curated zone's tables, the asset keys
(`warehouse/curated/<table>` for those copies, `warehouse/<model>` for dbt) and the pool every
warehouse writer runs in."""

from __future__ import annotations

from dagster import AssetKey

PREFIX = "warehouse"
# The warehouse schema holding the curated Delta tables, copied file by file; also the name of
# the dbt source over it. Not `raw`: that is the lake's zone of DMS files, two hops upstream.
CURATED_SCHEMA = "curated"
# one writer at a time: the local warehouse is a single DuckDB file (dagster.yaml pools)
POOL = "warehouse"


def curated_copy_key(table: str) -> AssetKey:
    """The loader's asset: the warehouse copy of the curated Delta table `table`."""
    return AssetKey([PREFIX, CURATED_SCHEMA, table])


def model_asset_key(name: str) -> AssetKey:
    return AssetKey([PREFIX, name])
