"""The warehouse's names, in one place so the loader, the dbt sources and the translator agree:
the schemas the loader fills with the lake's tables, the asset keys
(`warehouse/<schema>/<table>` for those copies, `warehouse/<model>` for dbt) and the pool every
warehouse writer runs in."""

from __future__ import annotations

from dagster import AssetKey

PREFIX = "warehouse"
# The warehouse schema holding the curated Delta tables, copied file by file; also the name of
# the dbt source over it. Not `raw`: that is the lake's zone of DMS files, two hops upstream.
CURATED_SCHEMA = "curated"
# The warehouse schema holding the processed clickstream (`events.events`), copied the same way;
# the dbt source `events` reads it.
EVENTS_SCHEMA = "events"
# one writer at a time: the local warehouse is a single DuckDB file (dagster.yaml pools)
POOL = "warehouse"


def curated_copy_key(table: str) -> AssetKey:
    """The loader's asset: the warehouse copy of the curated Delta table `table`."""
    return copy_key(CURATED_SCHEMA, table)


def copy_key(schema: str, table: str) -> AssetKey:
    """The loader's asset of the warehouse copy `<schema>.<table>`."""
    return AssetKey([PREFIX, schema, table])


def model_asset_key(name: str) -> AssetKey:
    return AssetKey([PREFIX, name])
