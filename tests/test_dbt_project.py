"""The dbt warehouse end to end: the session's shared build (tests/conftest.py `built_warehouse`:
a curated zone of 600 orders and a clickstream, copied into the `curated` schema and built by the
Dagster assets, loader, dbt base, facts, marts, on the `local` target in one run); then row
counts, column metadata, test results as checks, and the asset graph.
"""

from __future__ import annotations

import shutil
from decimal import Decimal

import duckdb
import pytest
from dagster import AssetKey, AssetSelection, materialize
from warehouse_data import (
    MARTS,
    SHOP_MODELS,
    merge_curated,
    warehouse_resources,
)

from platform_assets.contracts import CONTRACTS
from platform_assets.errors import PlatformError
from platform_assets.warehouse.keys import curated_copy_key, model_asset_key


@pytest.fixture(scope="module")
def manifest():
    """The prepared manifest (what `make dbt-manifest` writes), prepared here if missing."""
    from platform_assets.warehouse import project

    try:
        return project.manifest_path()
    except PlatformError:
        return project.prepare_manifest()


def _assets():
    from platform_assets.warehouse.assets import dbt_assets_definitions
    from platform_assets.warehouse.curated_copies import warehouse_curated_copies

    return [warehouse_curated_copies, *dbt_assets_definitions]


@pytest.fixture(scope="module")
def built(manifest, built_warehouse):
    """The shared run of the loader and the dbt assets over a fresh curated zone (read only)."""
    return built_warehouse.result, built_warehouse.rows, built_warehouse.warehouse_path


@pytest.mark.slow
def test_dbt_build_succeeds_and_all_tests_pass(built):
    result, _, _ = built
    assert result.success
    # the shop's checks: the shared build's clickstream names customers the shop does not have
    shop = {model_asset_key(m) for m in SHOP_MODELS} | {curated_copy_key(n) for n in CONTRACTS}
    evaluations = [e for e in result.get_asset_check_evaluations() if e.asset_key in shop]
    failed = [e.check_name for e in evaluations if not e.passed]
    assert failed == []
    names = {e.check_name for e in evaluations}
    assert {
        "assert_order_total_equals_lines",
        "mart_daily_revenue_totals_match_fct_orders",
        "mart_customer_lifetime_value_totals_match_mart_daily_revenue",
        "mart_product_performance_totals_match_fct_order_items",
        "fct_orders_rows_match_staging",
        "fct_order_items_rows_match_staging",
        "fct_payments_rows_match_staging",
        "assert_snapshot_one_current_version",
        "unique_fct_orders_order_id",
        "source_unique_curated_orders_order_id",
    } <= names
    by_asset = {e.asset_key for e in evaluations}
    assert curated_copy_key("orders") in by_asset  # source tests check the loader


@pytest.mark.slow
def test_every_model_materialized_with_row_counts_and_columns(built):
    result, rows, _ = built
    materialized = {
        e.materialization.asset_key: e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    expected = {model_asset_key(m) for m in SHOP_MODELS}
    expected |= {curated_copy_key(n) for n in CONTRACTS}
    assert expected <= set(materialized)
    assert set(materialized) == {k for a in _assets() for k in a.keys}  # the clickstream's too
    counts = {
        k.path[-1]: md["dagster/row_count"].value
        for k, md in materialized.items()
        if "dagster/row_count" in md and len(k.path) == 2
    }
    assert counts["fct_orders"] == len(rows["orders"])
    assert counts["dim_customers"] == len(rows["customers"])
    assert counts["snap_customers"] == len(rows["customers"])
    assert set(counts) & set(SHOP_MODELS) == {*MARTS, "snap_customers"}  # tables, not views
    copied = materialized[curated_copy_key("order_items")]
    assert copied["dagster/row_count"].value == len(rows["order_items"])
    assert copied["files_added"].value == 1
    columns = materialized[model_asset_key("fct_orders")]["dagster/column_schema"]
    assert [c.name for c in columns.value.columns][:3] == ["order_id", "customer_id", "order_status"]


@pytest.mark.slow
def test_marts_agree_with_the_generated_shop(built):
    _, rows, warehouse = built
    live = [o for o in rows["orders"] if o[2] != "cancelled"]
    revenue = sum((o[4] for o in live), Decimal(0))
    with duckdb.connect(str(warehouse), read_only=True) as db:
        days, total, orders = db.execute(
            "select count(*), sum(revenue), sum(orders_count) from marts.mart_daily_revenue"
        ).fetchone()
        lagging = db.execute(
            "select items_count, lines_total from marts.fct_orders where order_id = ?",
            [rows["orders"][-1][0]],
        ).fetchone()
        staged = db.execute("select count(*) from staging.stg_shop__orders").fetchone()[0]
        clv = db.execute(
            "select sum(lifetime_revenue), count(*) from marts.mart_customer_lifetime_value"
        ).fetchone()
        cohorts = db.execute(
            "select sum(cohort_size) from marts.mart_cohort_retention where months_since_first_order = 0"
        ).fetchone()[0]
        columns = {r[0] for r in db.execute("select column_name from information_schema.columns").fetchall()}
    assert (total, orders) == (revenue, len(live))
    assert days == len({o[3].date() for o in live})
    assert lagging == (0, 0)  # an order whose lines have not arrived is kept, not dropped
    assert staged == len(rows["orders"])  # staging views are readable outside dbt
    assert clv == (revenue, len(rows["customers"]))
    assert cohorts == len({o[1] for o in live})  # every ordering customer in one cohort
    assert not {"email", "first_name", "last_name", "phone", "street_address"} & columns


def test_asset_graph_continues_the_lake_lineage(manifest):
    from platform_assets.warehouse import automation
    from platform_assets.warehouse.assets import (
        dbt_assets_definitions,
        dbt_fact_assets,
        dbt_mart_assets,
        dbt_warehouse_assets,
    )
    from platform_assets.warehouse.curated_copies import warehouse_curated_copies
    from platform_assets.warehouse.partitions import FACT_PARTITIONS

    keys = {k for a in dbt_assets_definitions for k in a.keys}
    assert {model_asset_key(m) for m in SHOP_MODELS} <= keys
    deps = {k: d for a in dbt_assets_definitions for k, d in a.asset_deps.items()}
    deps.update(warehouse_curated_copies.asset_deps)
    for name in CONTRACTS:  # lake's curated Delta -> warehouse copy -> staging view
        copied = AssetKey(["warehouse", "curated", name])
        assert deps[copied] == {AssetKey(["curated", name])}
        assert deps[model_asset_key(f"stg_shop__{name}")] == {copied}
    # the facts read all three staging models (the scope macro names them; is_incremental()
    # hides the refs from dbt's parse otherwise)
    assert {model_asset_key(f"stg_shop__{t}") for t in ("orders", "order_items", "payments")} <= deps[
        model_asset_key("fct_payments")
    ]
    assert model_asset_key("snap_customers") in deps[model_asset_key("dim_customers")]

    # every model reaches a curated asset, walking up
    def reaches_curated(key, seen=()):
        return key.path[0] == "curated" or any(
            reaches_curated(p, (*seen, key)) for p in deps.get(key, ()) if p not in seen
        )

    assert all(reaches_curated(model_asset_key(m)) for m in SHOP_MODELS)

    checks = {(c.asset_key.path[-1], c.name) for a in dbt_assets_definitions for c in a.check_keys}
    assert ("fct_orders", "assert_order_total_equals_lines") in checks
    # a reconciliation is a check of the model it is declared on, run where both sides exist
    assert ("mart_daily_revenue", "mart_daily_revenue_totals_match_fct_orders") in checks
    assert ("fct_order_items", "fct_order_items_rows_match_staging") in checks
    assert ("stg_shop__orders", "unique_stg_shop__orders_order_id") in checks
    assert ("orders", "source_unique_curated_orders_order_id") in checks
    specs = {s.key: s for a in dbt_assets_definitions for s in a.specs}
    fct = specs[model_asset_key("fct_orders")]
    assert fct.group_name == "warehouse_marts"
    assert specs[model_asset_key("stg_shop__orders")].group_name == "warehouse_staging"
    assert specs[model_asset_key("int_order_lines_enriched")].group_name == "warehouse_intermediate"
    assert specs[model_asset_key("snap_customers")].group_name == "warehouse_snapshots"
    assert fct.owners == ["team:data-platform"]
    assert fct.description.startswith("One row per order")
    assert fct.automation_condition == automation.FACTS
    assert specs[model_asset_key("stg_shop__orders")].automation_condition == automation.BASE
    assert specs[model_asset_key("mart_daily_revenue")].automation_condition == automation.MARTS
    assert dbt_fact_assets.partitions_def == FACT_PARTITIONS
    assert dbt_warehouse_assets.partitions_def is None and dbt_mart_assets.partitions_def is None
    assert {a.op.pool for a in [*dbt_assets_definitions, warehouse_curated_copies]} == {"warehouse"}


def test_every_dbt_node_is_one_asset_and_every_test_one_check(manifest):
    import json

    from platform_assets.warehouse.assets import dbt_assets_definitions

    nodes = json.loads(manifest.read_text())["nodes"].values()
    tests = sorted(n["name"] for n in nodes if n["resource_type"] == "test")
    models = sorted(n["name"] for n in nodes if n["resource_type"] in ("model", "snapshot"))
    checks = sorted(c.name for a in dbt_assets_definitions for c in a.check_keys)
    assets = sorted(k.path[-1] for a in dbt_assets_definitions for k in a.keys)
    assert checks == tests
    assert assets == models


def test_missing_manifest_is_one_actionable_line(tmp_path, monkeypatch):
    from dagster_dbt import DbtProject

    from platform_assets.settings import DBT_PROJECT_DIR
    from platform_assets.warehouse import project

    monkeypatch.setattr(
        project,
        "lakehouse_project",
        DbtProject(project_dir=DBT_PROJECT_DIR, target_path=tmp_path / "no-target"),
    )
    with pytest.raises(PlatformError) as info:
        project.manifest_path()
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("dbt manifest missing at ")
    assert "run `make dbt-manifest` (dbt parse) first" in message


def test_every_model_and_column_is_described(manifest):
    import json

    nodes = [
        n
        for n in json.loads(manifest.read_text())["nodes"].values()
        if n["resource_type"] in ("model", "snapshot") and n["name"] in SHOP_MODELS
    ]
    assert {n["name"] for n in nodes} == set(SHOP_MODELS)
    undescribed = [n["name"] for n in nodes if not n["description"].strip()]
    undescribed += [
        f"{n['name']}.{c}" for n in nodes for c, col in n["columns"].items() if not col["description"].strip()
    ]
    assert undescribed == []


@pytest.mark.slow
def test_documented_columns_are_the_built_columns(built, manifest):
    import json

    _, _, warehouse = built
    nodes = {
        n["name"]: n
        for n in json.loads(manifest.read_text())["nodes"].values()
        if n["resource_type"] in ("model", "snapshot") and n["name"] in SHOP_MODELS
    }
    with duckdb.connect(str(warehouse), read_only=True) as db:
        for name, node in nodes.items():
            built_columns = [
                r[0]
                for r in db.execute(
                    "select column_name from information_schema.columns where table_name = ? "
                    "order by ordinal_position",
                    [name],
                ).fetchall()
            ]
            assert built_columns == list(node["columns"]), name


@pytest.mark.slow
def test_broken_order_total_fails_its_check_and_stops_the_mart(built_warehouse, tmp_path):
    """A CDC change breaks an order's total in (a copy of) the built warehouse."""
    from platform_assets.settings import Locations, locations

    home = tmp_path / "home"
    shutil.copytree(built_warehouse.home, home)  # this test changes it
    loc = Locations(home)
    lake_root, warehouse = loc.lake_root, loc.warehouse_path
    order = list(built_warehouse.rows["orders"][0])
    order[4] = order[4] + Decimal("1.00")
    merge_curated(lake_root, "orders", upserts=[tuple(order)])
    loader = AssetSelection.assets(*(curated_copy_key(n) for n in CONTRACTS))
    facts_and_marts = AssetSelection.assets(*(model_asset_key(m) for m in MARTS))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLATFORM_HOME", str(home))
        assert locations().warehouse_path == warehouse
        resources = warehouse_resources(lake_root, warehouse)
        # two runs: the staging views between them are not rebuilt, so no step orders them
        assert materialize(_assets(), selection=loader, resources=resources).success
        broken = materialize(_assets(), selection=facts_and_marts, raise_on_error=False, resources=resources)
    assert not broken.success
    failed = {e.check_name for e in broken.get_asset_check_evaluations() if not e.passed}
    assert failed == {"assert_order_total_equals_lines"}
    materialized = {e.materialization.asset_key.path[-1] for e in broken.get_asset_materialization_events()}
    assert "fct_orders" in materialized and "mart_daily_revenue" not in materialized
