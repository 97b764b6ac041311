"""A small curated zone for the warehouse tests, and how they run the warehouse assets.

The curated tables are made by the platform's own `conform` from rows of the seed generator,
so they have exactly the columns (and hashing) the curated writer produces; changes are applied
with a Delta MERGE, as the curated refresh does after a CDC apply.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from platform_assets.contracts import CONTRACTS
from platform_assets.curated.conform import conform
from platform_assets.sources.oltp import fake_shop

COMMITTED = fake_shop.EPOCH + timedelta(days=30)
SHOP_MODELS = ["stg_shop__customers", "stg_shop__products", "stg_shop__orders",
               "stg_shop__order_items", "stg_shop__payments",
               "int_order_lines_enriched", "int_payments_aggregated_to_orders", "snap_customers",
               "fct_orders", "fct_order_items", "fct_payments",
               "dim_customers", "dim_products", "mart_daily_revenue",
               "mart_customer_lifetime_value", "mart_product_performance",
               "mart_cohort_retention"]
MARTS = ["fct_orders", "fct_order_items", "fct_payments", "dim_customers", "dim_products",
         "mart_daily_revenue", "mart_customer_lifetime_value", "mart_product_performance",
         "mart_cohort_retention"]
# the events engineer's models live in these folders; these tests build the shop only
EXCLUDE_EVENTS = ["path:models/staging/events", "path:models/marts/events"]


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


PII_TEST_KEY = b"warehouse-tests-pii-hash-key-0123456789"  # curated/pii_key.py in real runs


def curated_table(name: str, tuples: list[tuple], commit_ts=COMMITTED,
                  every_third_unknown: bool = True) -> pa.Table:
    """Conformed curated rows; every third has no commit time (as after a full load)."""
    c = CONTRACTS[name]
    table = pa.Table.from_pylist(
        [{**dict(zip(c.column_names, t, strict=True)),
          "_commit_ts": None if every_third_unknown and i % 3 == 0 else commit_ts}
         for i, t in enumerate(tuples)],
        schema=c.arrow_schema().append(pa.field("_commit_ts", pa.timestamp("us", tz="UTC"))))
    return conform(table, c, PII_TEST_KEY)


def write_curated(lake_root: Path, rows: dict[str, list[tuple]]) -> None:
    for name, tuples in rows.items():
        write_deltalake(str(lake_root / "curated" / name), curated_table(name, tuples),
                        mode="overwrite")


def merge_curated(lake_root: Path, name: str, upserts: list[tuple] = (),
                  deletes: list[int] = ()) -> None:
    """Apply changes with one Delta MERGE, as the curated refresh does (files are rewritten)."""
    c = CONTRACTS[name]
    dt = DeltaTable(str(lake_root / "curated" / name))
    rows = curated_table(name, list(upserts), COMMITTED + timedelta(days=1), False)
    if deletes:
        keep = [t for t in dt.to_pyarrow_table().to_pylist() if t[c.key] in set(deletes)]
        gone = pa.Table.from_pylist(keep, schema=rows.schema)
        rows = pa.concat_tables([rows, gone])
    flag = pa.array([False] * len(upserts) + [True] * (rows.num_rows - len(upserts)))
    rows = rows.append_column("_deleted", flag)
    (dt.merge(rows, f"t.{c.key} = s.{c.key}", source_alias="s", target_alias="t")
       .when_matched_delete(predicate="s._deleted")
       .when_matched_update_all(predicate="NOT s._deleted", except_cols=["_deleted"])
       .when_not_matched_insert_all(predicate="NOT s._deleted", except_cols=["_deleted"])
       .execute())


def shop_selection():
    """The warehouse assets of the shop (the loader and every shop model), no events."""
    from dagster import AssetSelection

    from platform_assets.warehouse.keys import curated_copy_key, model_asset_key

    keys = [curated_copy_key(n) for n in CONTRACTS] + [model_asset_key(m) for m in SHOP_MODELS]
    return AssetSelection.assets(*keys)


def warehouse_resources(lake_root: Path, warehouse: Path) -> dict:
    from platform_assets.resources import LakeResource
    from platform_assets.warehouse.loader import DuckDBCuratedLoader
    from platform_assets.warehouse.resources import dbt_resource

    return {"lake": LakeResource(root=str(lake_root)),
            "warehouse_loader": DuckDBCuratedLoader(path=str(warehouse)),
            "dbt": dbt_resource("local")}
