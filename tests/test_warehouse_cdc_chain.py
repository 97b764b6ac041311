"""What one CDC batch refreshes (`orchestration/cdc_chain.py`), read off the real code
location's asset graph without running anything: the changed tables' lake zones, their
warehouse copies and the dbt models downstream up to the facts, never the marts after them."""

from __future__ import annotations

import pytest
from dagster import AssetKey

from platform_assets.contracts import CONTRACTS
from platform_assets.definitions import defs
from platform_assets.orchestration.cdc_chain import (
    RECONCILIATION_CHECK,
    chain_run,
    chain_selection,
)
from platform_assets.warehouse.assets import dbt_fact_assets, dbt_mart_assets
from platform_assets.warehouse.keys import curated_copy_key, model_asset_key
from platform_assets.warehouse.partitions import FACT_PARTITIONS


@pytest.fixture(scope="module")
def graph():
    return defs.resolve_asset_graph()


def _lake_and_copy(table: str) -> set[AssetKey]:
    return {AssetKey(["processed", table]), AssetKey(["curated", table]), curated_copy_key(table)}


def test_an_orders_batch_reaches_the_facts_and_what_reads_staged_orders(graph):
    models = {
        "stg_shop__orders",
        "fct_orders",
        "fct_order_items",
        "fct_payments",
        "mart_conversion_funnel",
    }  # the funnel joins staged orders, not the facts
    assert chain_selection(["orders"]).resolve(graph) == (
        _lake_and_copy("orders") | {model_asset_key(m) for m in models}
    )


def test_a_customers_batch_reaches_staging_and_the_snapshot_only(graph):
    assert chain_selection(["customers"]).resolve(graph) == (
        _lake_and_copy("customers")
        | {model_asset_key("stg_shop__customers"), model_asset_key("snap_customers")}
    )
    # the customer dimension aggregates the facts: it refreshes with the marts, not here
    request = chain_run(graph, ["customers"])
    assert "partition_key" not in request  # no fact in the run
    checks = {(k.asset_key, k.name) for k in request["asset_check_keys"]}
    assert (model_asset_key("stg_shop__customers"), "unique_stg_shop__customers_customer_id") in checks


def test_a_batch_of_several_tables_is_the_union_of_their_chains(graph):
    both = chain_selection(["products", "payments"]).resolve(graph)
    assert both == (
        chain_selection(["products"]).resolve(graph) | chain_selection(["payments"]).resolve(graph)
    )
    assert chain_selection(["payments", "products", "payments"]).resolve(graph) == both


@pytest.mark.parametrize("table", sorted(CONTRACTS))
def test_no_chain_holds_the_marts_the_docs_or_the_full_reconciliation(graph, table):
    request = chain_run(graph, [table])
    selected = set(request["asset_selection"])
    assert not selected & set(dbt_mart_assets.keys)
    assert model_asset_key("dbt_docs") not in selected
    assert _lake_and_copy(table) <= selected
    assert not {k for k in request["asset_check_keys"] if k.name == RECONCILIATION_CHECK}
    if selected & set(dbt_fact_assets.keys):  # the facts run as today's partition
        assert request["partition_key"] == FACT_PARTITIONS.get_last_partition_key()
