"""Freshness policies on every zone (observability/freshness.py): each table's policy is its
contract's SLA, each model's the tightest SLA upstream of it, from the definitions users load."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dagster import AssetKey

from platform_assets.contracts import CONTRACTS
from platform_assets.contracts.events import EVENTS
from platform_assets.definitions import defs

GRAPH = defs.resolve_asset_graph()
ZONE_GROUPS = {"raw", "processed", "curated"}


def _fail_window(key) -> timedelta | None:
    policy = GRAPH.get(key).freshness_policy
    return policy.fail_window.to_timedelta() if policy else None


def _zone_assets():
    for key in GRAPH.materializable_asset_keys:
        group = GRAPH.get(key).group_name
        if group in ZONE_GROUPS or (group.startswith("warehouse_") and group != "warehouse_docs"):
            yield key


def test_every_zone_asset_has_a_freshness_policy():
    missing = sorted(k.to_user_string() for k in _zone_assets() if _fail_window(k) is None)
    assert missing == []
    assert len(list(_zone_assets())) >= 40


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_each_table_takes_its_contracts_sla_in_every_zone(name):
    sla = timedelta(minutes=CONTRACTS[name].freshness_sla_minutes)
    for key in (["raw", name], ["processed", name], ["curated", name], ["warehouse", "curated", name]):
        assert _fail_window(AssetKey(key)) == sla, key
        assert GRAPH.get(AssetKey(key)).freshness_policy.warn_window.to_timedelta() == sla / 2


def test_a_model_takes_the_tightest_sla_upstream_of_it():
    for model in ("fct_orders", "mart_daily_revenue", "dim_products", "fct_sessions", "stg_shop__products"):
        key = AssetKey(["warehouse", model])
        upstream = {k.path[-1] for k in GRAPH.get_ancestor_asset_keys(key) if k.path[0] in ZONE_GROUPS}
        slas = [CONTRACTS[n].freshness_sla_minutes for n in upstream if n in CONTRACTS]
        slas += [EVENTS.freshness_sla_minutes] * (EVENTS.name in upstream)
        assert _fail_window(key) == timedelta(minutes=min(slas)), model


def test_what_is_not_a_zone_has_no_policy():
    for key in (["warehouse", "dbt_docs"], ["ml", "churn_model"], ["dashboards", "revenue"]):
        assert _fail_window(AssetKey(key)) is None, key
