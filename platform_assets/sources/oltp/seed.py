"""Seed the shop with a reproducible history of configurable size (default ~100k orders)."""

from __future__ import annotations

import random
from collections.abc import Iterable

import psycopg
from psycopg import sql

from platform_assets.contracts import CONTRACTS, TableContract
from platform_assets.sources.oltp import fake_shop
from platform_assets.sources.oltp.schema import ensure_schema, row_counts

ORDERS_PER_CHUNK = 50_000


def copy_rows(conn: psycopg.Connection, c: TableContract, rows: Iterable[tuple]) -> None:
    """COPY rows (in the contract's column order) into the contract's table."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(c.schema, c.name), sql.SQL(", ").join(map(sql.Identifier, c.column_names))
    )
    with conn.cursor().copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def seed(
    conn: psycopg.Connection, orders: int = 100_000, seed: int = 42, reset: bool = False
) -> dict[str, int]:
    """Fill empty tables; a non-empty database is left alone unless `reset`."""
    ensure_schema(conn)
    if reset:
        names = sql.SQL(", ").join(sql.Identifier(c.schema, c.name) for c in CONTRACTS.values())
        conn.execute(sql.SQL("TRUNCATE {}").format(names))
    elif any(row_counts(conn).values()):
        return row_counts(conn)
    rng = random.Random(seed)  # noqa: S311 -- a reproducible fake shop, not security
    n_customers = max(10, orders // 5)
    customers = (fake_shop.customer(rng, i) for i in range(1, n_customers + 1))
    copy_rows(conn, CONTRACTS["customers"], customers)
    products = [fake_shop.product(rng, i) for i in range(1, max(50, orders // 50) + 1)]
    copy_rows(conn, CONTRACTS["products"], products)
    # orders are made and copied a chunk at a time, in the same random sequence as one pass:
    # the same shop for the same seed, in memory bounded by the chunk, not by `orders`
    next_item = 1
    for first in range(1, orders + 1, ORDERS_PER_CHUNK):
        order_rows, item_rows, payment_rows = [], [], []
        for oid in range(first, min(first + ORDERS_PER_CHUNK, orders + 1)):
            o, items, p = fake_shop.order_with_lines(rng, oid, next_item, oid, n_customers, products)
            order_rows.append(o)
            item_rows.extend(items)
            payment_rows.append(p)
            next_item += len(items)
        for table, rows in [("orders", order_rows), ("order_items", item_rows), ("payments", payment_rows)]:
            copy_rows(conn, CONTRACTS[table], rows)
    conn.commit()
    return row_counts(conn)
