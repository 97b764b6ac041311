"""Churn data with a signal, for the ML tests: the shared shop's orders fall on random
customers (nothing to learn), so these orders give each customer a rate and a day they stop."""

from __future__ import annotations

import random
from datetime import timedelta

import pyarrow as pa
from warehouse_data import curated_table, event_rows, shop_rows

from platform_assets.sources.oltp import fake_shop


def orders_with_churn(customers: int, products: list[tuple], seed: int = 5) -> list[tuple]:
    """A year of orders where churn can be learned: each customer orders at their own rate
    (2 to 24 a year) and about half stop for good at some day of the year."""
    rng = random.Random(seed)
    year = timedelta(days=365)
    orders, oid = [], 1
    for customer in range(1, customers + 1):
        rate = rng.choice([2, 6, 12, 24])
        end = fake_shop.EPOCH + (rng.random() * year if rng.random() < 0.5 else year)
        when = fake_shop.EPOCH + timedelta(days=rng.random() * 60)
        while when < end:
            order, _, _ = fake_shop.order_with_lines(rng, oid, 1, oid, customers, products, when)
            orders.append((order[0], customer, *order[2:]))
            oid += 1
            when += timedelta(days=rng.expovariate(rate / 365))
    return orders


def churn_sources() -> dict[str, pa.Table]:
    """The feature sources in memory (curated customers and orders, processed events)."""
    rows = shop_rows(600)
    return {
        "curated.customers": curated_table("customers", rows["customers"]),
        "curated.orders": curated_table(
            "orders", orders_with_churn(len(rows["customers"]), rows["products"])
        ),
        "processed.events": event_rows(400, days=14, customers=120, products=50, orders=600),
    }
