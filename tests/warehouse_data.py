"""A small curated zone for the warehouse tests, and how they run the warehouse assets.

The curated tables are made by the platform's own `conform` from rows of the seed generator,
so they have exactly the columns (and hashing) the curated writer produces; changes are applied
with a Delta MERGE, as the curated refresh does after a CDC apply.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from platform_assets.contracts import CONTRACTS
from platform_assets.curated.conform import conform
from platform_assets.sources.oltp import fake_shop

COMMITTED = fake_shop.EPOCH + timedelta(days=30)
MARTS = [
    "fct_orders",
    "fct_order_items",
    "fct_payments",
    "dim_customers",
    "dim_products",
    "mart_daily_revenue",
    "mart_customer_lifetime_value",
    "mart_product_performance",
    "mart_cohort_retention",
]
SHOP_MODELS = [
    "stg_shop__customers",
    "stg_shop__products",
    "stg_shop__orders",
    "stg_shop__order_items",
    "stg_shop__payments",
    "int_order_lines_enriched",
    "int_payments_aggregated_to_orders",
    "snap_customers",
    *MARTS,
]
EVENT_MARTS = ["fct_sessions", "mart_conversion_funnel"]
# the column whose total each mart must agree on across warehouses (parity tests)
MART_TOTALS = {
    "mart_daily_revenue": "revenue",
    "mart_customer_lifetime_value": "lifetime_revenue",
    "mart_product_performance": "net_revenue",
    "fct_orders": "total_amount",
    "fct_sessions": "cart_value",
    "mart_conversion_funnel": "purchase_sessions",
}
# the events engineer's models live in these folders; these tests build the shop only
EXCLUDE_EVENTS = ["path:models/staging/events", "path:models/marts/events"]


def shop_rows(orders: int, seed: int = 7) -> dict[str, list[tuple]]:
    """Rows as the seed writes them to Postgres, plus one order whose lines have not arrived."""
    rng = random.Random(seed)
    n_customers = max(10, orders // 5)
    customers = [fake_shop.customer(rng, i) for i in range(1, n_customers + 1)]
    products = [fake_shop.product(rng, i) for i in range(1, max(50, orders // 50) + 1)]
    rows: dict[str, list[tuple]] = {
        "customers": customers,
        "products": products,
        "orders": [],
        "order_items": [],
        "payments": [],
    }
    for oid in range(1, orders + 1):
        order, items, payment = fake_shop.order_with_lines(
            rng, oid, len(rows["order_items"]) + 1, oid, n_customers, products
        )
        rows["orders"].append(order)
        rows["order_items"].extend(items)
        rows["payments"].append(payment)
    lagging = list(rows["orders"][-1])
    lagging[0] = orders + 1
    rows["orders"].append(tuple(lagging))
    return rows


PII_TEST_KEY = b"warehouse-tests-pii-hash-key-0123456789"  # curated/pii_key.py in real runs


def curated_table(
    name: str, tuples: list[tuple], commit_ts=COMMITTED, every_third_unknown: bool = True
) -> pa.Table:
    """Conformed curated rows; every third has no commit time (as after a full load)."""
    c = CONTRACTS[name]
    table = pa.Table.from_pylist(
        [
            {
                **dict(zip(c.column_names, t, strict=True)),
                "_commit_ts": None if every_third_unknown and i % 3 == 0 else commit_ts,
            }
            for i, t in enumerate(tuples)
        ],
        schema=c.arrow_schema().append(pa.field("_commit_ts", pa.timestamp("us", tz="UTC"))),
    )
    return conform(table, c, PII_TEST_KEY)


def write_curated(lake_root: Path, rows: dict[str, list[tuple]]) -> None:
    for name, tuples in rows.items():
        write_deltalake(str(lake_root / "curated" / name), curated_table(name, tuples), mode="overwrite")


def merge_curated(lake_root: Path, name: str, upserts: list[tuple] = (), deletes: list[int] = ()) -> None:
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
    (
        dt.merge(rows, f"t.{c.key} = s.{c.key}", source_alias="s", target_alias="t")
        .when_matched_delete(predicate="s._deleted")
        .when_matched_update_all(predicate="NOT s._deleted", except_cols=["_deleted"])
        .when_not_matched_insert_all(predicate="NOT s._deleted", except_cols=["_deleted"])
        .execute()
    )


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

    return {
        "lake": LakeResource(root=str(lake_root)),
        "warehouse_loader": DuckDBCuratedLoader(path=str(warehouse)),
        "dbt": dbt_resource("local"),
    }


FUNNEL = ("page_view", "product_view", "add_to_cart", "checkout", "purchase")


def event_rows(
    sessions: int, days: int = 3, customers: int = 60, products: int = 20, orders: int = 60, seed: int = 11
) -> pa.Table:
    """Processed clickstream rows (the events contract's processed schema): sessions walking
    down the funnel over `days` days, tied to the shop's customers, products and orders."""
    from datetime import date, datetime

    from platform_assets.contracts.events import EVENTS

    rng = random.Random(seed)
    rows = []
    for s in range(sessions):
        day = date(2026, 3, 1) + timedelta(days=s % days)
        start = datetime(day.year, day.month, day.day, 8, tzinfo=fake_shop.EPOCH.tzinfo) + timedelta(
            minutes=rng.randrange(600)
        )
        customer = rng.randrange(1, customers + 1) if rng.random() < 0.7 else None
        for i, kind in enumerate(FUNNEL[: rng.randrange(1, len(FUNNEL) + 1)]):
            product = rng.randrange(1, products + 1) if kind in ("product_view", "add_to_cart") else None
            ts = start + timedelta(seconds=30 * i)
            rows.append(
                {
                    "event_id": f"e{s:05d}-{i}",
                    "event_type": kind,
                    "event_ts": ts,
                    "ingestion_ts": ts + timedelta(seconds=2),
                    "session_id": f"s{s:05d}",
                    "customer_id": customer,
                    "product_id": product,
                    "quantity": 1 if kind == "add_to_cart" else None,
                    "price": None if product is None else Decimal(f"{rng.randrange(500, 9000) / 100:.2f}"),
                    "order_id": rng.randrange(1, orders + 1) if kind == "purchase" else None,
                    "page_url": f"/p/{i}",
                    "referrer": "google",
                    "device": ("web", "ios", "android")[s % 3],
                    "event_date": day,
                    "is_late": False,
                    "_source_file": f"raw/events/{day}/f.gz",
                }
            )
    return pa.Table.from_pylist(rows, schema=EVENTS.processed_schema())


def write_events(lake, rows: pa.Table, replace_day=None) -> None:
    """The processed events table as the events lake writes it: partitioned by event_date;
    `replace_day` overwrites that day's partition only."""
    from platform_assets.contracts.events import EVENTS

    p = EVENTS.partition_column
    if replace_day is None:
        write_deltalake(lake.delta_uri("processed", EVENTS.name), rows, partition_by=[p], mode="overwrite")
        return
    write_deltalake(
        lake.delta_uri("processed", EVENTS.name),
        rows,
        partition_by=[p],
        mode="overwrite",
        predicate=f"{p} = '{replace_day.isoformat()}'",
    )
