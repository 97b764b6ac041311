"""Freshness policies on every zone, from the contracts' SLAs.

Each table of the raw, processed and curated zones and its warehouse copy takes its contract's
`freshness_sla_minutes`; a dbt model takes the tightest SLA of the tables upstream of it (a
mart is as late as its latest input allows). The policy fails when the last materialization is
older than the SLA and warns after half of it. Dagster's freshness daemon evaluates the
policies (`dagster dev` runs it): the UI shows each asset's freshness, and no run is launched
for it, so a fresh instance starts no burst of check runs.

Dagster measures the time since the last materialization, and `lakehouse status` the lag of
the last applied change; a source without changes for longer than the SLA reads as late in
both, since neither has a source heartbeat to tell quiet from stuck.
"""

from __future__ import annotations

import warnings
from datetime import timedelta

from dagster import AssetKey, AssetSpec, Definitions, FreshnessPolicy, PreviewWarning

from platform_assets.contracts import CONTRACTS
from platform_assets.contracts.events import EVENTS

# groups whose assets are one table each (named by its contract) / built from such tables
TABLE_GROUPS = frozenset({"raw", "processed", "curated", "warehouse_curated"})
MODEL_GROUP_PREFIX = "warehouse_"
NOT_DATA = frozenset({"warehouse_docs"})  # the docs site is a document, not data


def _table_sla(name: str) -> int | None:
    if name in CONTRACTS:
        return CONTRACTS[name].freshness_sla_minutes
    if name == EVENTS.name:
        return EVENTS.freshness_sla_minutes
    return None


def sla_minutes(defs: Definitions) -> dict[AssetKey, int]:
    """The freshness SLA of every zone asset that has one."""
    graph = defs.resolve_asset_graph()
    slas: dict[AssetKey, int] = {}
    for key in graph.materializable_asset_keys:
        node = graph.get(key)
        if node.group_name in TABLE_GROUPS and (sla := _table_sla(key.path[-1])) is not None:
            slas[key] = sla
    for key in graph.materializable_asset_keys:
        group = graph.get(key).group_name or ""
        if key in slas or not group.startswith(MODEL_GROUP_PREFIX) or group in NOT_DATA:
            continue
        upstream = [slas[k] for k in graph.get_ancestor_asset_keys(key) if k in slas]
        if upstream:
            slas[key] = min(upstream)
    return slas


def policy(minutes: int) -> FreshnessPolicy:
    return FreshnessPolicy.time_window(
        fail_window=timedelta(minutes=minutes), warn_window=timedelta(minutes=minutes / 2)
    )


def with_freshness_policies(defs: Definitions) -> Definitions:
    """`defs` with a freshness policy on every zone asset (`sla_minutes`)."""
    slas = sla_minutes(defs)

    def add(spec: AssetSpec) -> AssetSpec:
        minutes = slas.get(spec.key)
        return spec if minutes is None else spec.replace_attributes(freshness_policy=policy(minutes))

    with warnings.catch_warnings():  # Dagster's own way to map specs, marked preview in 1.13
        warnings.simplefilter("ignore", PreviewWarning)
        return defs.map_resolved_asset_specs(func=add)
