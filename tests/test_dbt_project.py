"""The dbt warehouse end to end: a small curated zone in tmp, a real `dbt build` through the
Dagster dbt assets on the `local` target, then row counts, test results and the asset graph.

The curated tables are made by the platform's own `conform` from rows of the seed generator,
so they have exactly the columns (and hashing) the curated writer produces.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from dagster import AssetKey, materialize
from deltalake import write_deltalake

from platform_assets.contracts import CONTRACTS
from platform_assets.curated.conform import conform
from platform_assets.errors import PlatformError
from platform_assets.sources.oltp import fake_shop

ORDERS = 120
MODELS = ["stg_customers", "stg_products", "stg_orders", "stg_order_items", "stg_payments",
          "int_order_lines_enriched", "int_order_payments",
          "dim_customers", "dim_products", "fct_orders", "mart_daily_revenue"]


def shop_rows(orders: int, seed: int = 7) -> dict[str, list[tuple]]:
    """Rows as the seed writes them to Postgres, plus one order whose lines have not arrived."""
    rng = random.Random(seed)
    n_customers = max(10, orders // 5)
    customers = [fake_shop.customer(rng, i) for i in range(1, n_customers + 1)]
    products = [fake_shop.product(rng, i) for i in range(1, max(50, orders // 50) + 1)]
    rows: dict[str, list[tuple]] = {"customers": customers, "products": products,
                                    "orders": [], "order_items": [], "payments": []}
    for oid in range(1, orders + 1):
        order, items, payment = fake_shop.order_with_lines(
            rng, oid, len(rows["order_items"]) + 1, oid, n_customers, products)
        rows["orders"].append(order)
        rows["order_items"].extend(items)
        rows["payments"].append(payment)
    lagging = list(rows["orders"][-1])
    lagging[0] = orders + 1
    rows["orders"].append(tuple(lagging))
    return rows


def write_curated(lake_root: Path, rows: dict[str, list[tuple]]) -> None:
    """Write curated Delta tables; every third row has no commit time (as after a full load)."""
    committed = fake_shop.EPOCH + timedelta(days=30)
    for name, tuples in rows.items():
        c = CONTRACTS[name]
        table = pa.Table.from_pylist(
            [{**dict(zip(c.column_names, t, strict=True)),
              "_commit_ts": None if i % 3 == 0 else committed} for i, t in enumerate(tuples)],
            schema=c.arrow_schema().append(pa.field("_commit_ts", pa.timestamp("us", tz="UTC"))))
        write_deltalake(str(lake_root / "curated" / name), conform(table, c), mode="overwrite")


@pytest.fixture(scope="module")
def manifest():
    """The prepared manifest (what `make dbt-manifest` writes), prepared here if missing."""
    from platform_assets.warehouse import project

    try:
        return project.manifest_path()
    except PlatformError:
        return project.prepare_manifest()


@pytest.fixture(scope="module")
def built(manifest, tmp_path_factory):
    """One `dbt build` over a fresh curated zone; the module's tests read its result."""
    home = tmp_path_factory.mktemp("home")
    rows = shop_rows(ORDERS)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLATFORM_HOME", str(home))
        mp.delenv("PLATFORM_ENV", raising=False)
        from platform_assets.profile import locations
        from platform_assets.warehouse.assets import dbt_warehouse_assets
        from platform_assets.warehouse.resources import dbt_resource

        loc = locations()
        write_curated(loc.lake_root, rows)
        result = materialize([dbt_warehouse_assets], resources={"dbt": dbt_resource("local")},
                             raise_on_error=False)
    return result, rows, loc.warehouse_path


@pytest.mark.slow
def test_dbt_build_succeeds_and_all_tests_pass(built):
    result, _, _ = built
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert evaluations, "dbt tests should be reported as asset checks"
    failed = [e.check_name for e in evaluations if not e.passed]
    assert failed == []
    names = {e.check_name for e in evaluations}
    assert {"assert_order_total_equals_lines", "assert_daily_revenue_reconciles",
            "unique_fct_orders_order_id"} <= names


@pytest.mark.slow
def test_every_model_materialized_with_row_counts_for_tables(built):
    result, rows, _ = built
    materialized = {e.materialization.asset_key: e.materialization.metadata
                    for e in result.get_asset_materialization_events()}
    assert set(materialized) == {AssetKey(["warehouse", m]) for m in MODELS}
    counts = {k.path[-1]: md["dagster/row_count"].value
              for k, md in materialized.items() if "dagster/row_count" in md}
    assert counts["fct_orders"] == len(rows["orders"])
    assert counts["dim_customers"] == len(rows["customers"])
    assert counts["dim_products"] == len(rows["products"])
    assert set(counts) == {"fct_orders", "dim_customers", "dim_products", "mart_daily_revenue"}


@pytest.mark.slow
def test_marts_agree_with_the_generated_shop(built):
    _, rows, warehouse = built
    live = [o for o in rows["orders"] if o[2] != "cancelled"]
    revenue = sum((o[4] for o in live), Decimal(0))
    with duckdb.connect(str(warehouse), read_only=True) as db:
        days, total, orders = db.execute(
            "select count(*), sum(revenue), sum(orders_count) from marts.mart_daily_revenue"
        ).fetchone()
        lagging = db.execute("select items_count, lines_total from marts.fct_orders"
                             " where order_id = ?", [ORDERS + 1]).fetchone()
        staged = db.execute("select count(*) from staging.stg_orders").fetchone()[0]
        columns = {r[0] for r in db.execute(
            "select column_name from information_schema.columns").fetchall()}
    assert (total, orders) == (revenue, len(live))
    assert days == len({o[3].date() for o in live})
    assert lagging == (0, 0)  # an order whose lines have not arrived is kept, not dropped
    assert staged == len(rows["orders"])  # staging views are readable outside dbt
    assert not {"email", "first_name", "last_name", "phone", "street_address"} & columns


def test_asset_graph_continues_the_lake_lineage(manifest):
    from platform_assets.warehouse.assets import dbt_warehouse_assets as assets

    keys = {k.to_user_string() for k in assets.keys}
    assert keys == {f"warehouse/{m}" for m in MODELS}
    deps = assets.asset_deps
    assert AssetKey(["warehouse", "stg_orders"]) in deps[AssetKey(["warehouse", "fct_orders"])]
    for name in CONTRACTS:
        staging = AssetKey(["warehouse", f"stg_{name}"])
        assert deps[staging] == {AssetKey(["curated", name])}
    checks = {(c.asset_key.path[-1], c.name) for c in assets.check_keys}
    assert ("fct_orders", "assert_order_total_equals_lines") in checks
    assert ("mart_daily_revenue", "assert_daily_revenue_reconciles") in checks
    assert ("stg_orders", "unique_stg_orders_order_id") in checks
    spec = next(s for s in assets.specs if s.key == AssetKey(["warehouse", "fct_orders"]))
    assert spec.group_name == "warehouse"
    assert spec.owners == ["team:data-platform"]
    assert spec.description.startswith("One row per order")
    assert assets.op.pool == "warehouse"


def test_missing_manifest_is_one_actionable_line(tmp_path, monkeypatch):
    from dagster_dbt import DbtProject

    from platform_assets.profile import DBT_PROJECT_DIR
    from platform_assets.warehouse import project

    monkeypatch.setattr(project, "lakehouse_project", DbtProject(
        project_dir=DBT_PROJECT_DIR, target_path=tmp_path / "no-target"))
    with pytest.raises(PlatformError) as info:
        project.manifest_path()
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("dbt manifest missing at ")
    assert "run `make dbt-manifest` (dbt parse) first" in message


@pytest.mark.slow
def test_broken_order_total_fails_its_check_and_stops_the_mart(manifest, platform_home):
    from platform_assets.profile import locations
    from platform_assets.warehouse.assets import dbt_warehouse_assets
    from platform_assets.warehouse.resources import dbt_resource

    rows = shop_rows(20)
    order = list(rows["orders"][0])
    order[4] = order[4] + Decimal("1.00")
    rows["orders"][0] = tuple(order)
    write_curated(locations().lake_root, rows)
    result = materialize([dbt_warehouse_assets], resources={"dbt": dbt_resource("local")},
                         raise_on_error=False)
    assert not result.success
    failed = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
    assert failed == {"assert_order_total_equals_lines"}
    built = {e.materialization.asset_key.path[-1]
             for e in result.get_asset_materialization_events()}
    assert "fct_orders" in built and "mart_daily_revenue" not in built
