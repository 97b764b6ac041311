"""What a batch refreshes past the lake: the dbt models of `cdc_chain.chain_selection` (the same
selection a capture run requests), as dbt unique ids keyed by their Dagster asset keys.

The graph is built from the asset definitions the chain spans, not from the code location:
a job run in process (`lakehouse stream`) has no repository to ask.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from dagster import AssetKey
from dagster._core.definitions.assets.graph.asset_graph import AssetGraph

from platform_assets.orchestration.cdc_chain import chain_selection
from platform_assets.warehouse.assets import dbt_assets_definitions, dbt_fact_assets

UNIQUE_ID = "dagster_dbt/unique_id"  # dagster-dbt's metadata key on every dbt asset spec


@cache
def _graph() -> AssetGraph:
    from platform_assets.curated.assets import curated_assets
    from platform_assets.processed.assets import processed_assets
    from platform_assets.warehouse.curated_copies import warehouse_curated_copies

    return AssetGraph.from_assets(
        [*processed_assets, *curated_assets, warehouse_curated_copies, *dbt_assets_definitions]
    )


@cache
def _unique_ids() -> dict[AssetKey, str]:
    return {s.key: s.metadata[UNIQUE_ID] for d in dbt_assets_definitions for s in d.specs}


def chain_models(tables: Iterable[str]) -> dict[AssetKey, str]:
    """{asset key: dbt unique id} of the models a batch of `tables` builds (none for none)."""
    tables = sorted(set(tables))
    if not tables:
        return {}
    # allow_missing: the chain subtracts the docs site, which is not in this graph
    keys = chain_selection(tables).resolve(_graph(), allow_missing=True)
    ids = _unique_ids()
    return {k: ids[k] for k in sorted(keys) if k in ids}


def is_fact(key: AssetKey) -> bool:
    """The daily-partitioned facts: a batch records today's partition, as a capture run does."""
    return key in dbt_fact_assets.keys
