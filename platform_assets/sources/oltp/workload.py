"""A workload generator: inserts, updates and deletes across all shop tables at a given rate.

Updates favour recent orders, so the same keys change repeatedly (as in a real shop, and as
the CDC apply must handle: last change per key wins). Some notes are long enough to be
TOASTed, so updates that leave them unchanged exercise pgoutput's 'unchanged TOAST' marker.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg
from psycopg import sql

from platform_assets.sources.oltp import fake_shop

MIX = [
    ("new_order", 35),
    ("order_status", 25),
    ("customer_moves", 10),
    ("new_customer", 5),
    ("price_change", 5),
    ("payment_status", 10),
    ("purge_order", 7),
    ("long_note", 3),
]


@dataclass
class WorkloadStats:
    transactions: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def _next_id(conn: psycopg.Connection, table: str, key: str) -> int:
    query = sql.SQL("SELECT coalesce(max({}), 0) + 1 FROM {}").format(
        sql.Identifier(key), sql.Identifier(table)
    )
    return conn.execute(query).fetchone()[0]


def _recent_order(conn: psycopg.Connection, rng: random.Random) -> int | None:
    top = conn.execute("SELECT max(order_id) FROM orders").fetchone()[0]
    if not top:
        return None
    # 90% within the newest 2% of orders, else anywhere
    span = max(1, top // 50) if rng.random() < 0.9 else top
    oid = top - rng.randrange(span)
    row = conn.execute(
        "SELECT order_id FROM orders WHERE order_id <= %s ORDER BY order_id DESC LIMIT 1", (oid,)
    ).fetchone()
    return row[0] if row else None


def _one(conn: psycopg.Connection, rng: random.Random, kind: str) -> None:
    if kind == "new_order":
        products = conn.execute("SELECT * FROM products ORDER BY random() LIMIT 5").fetchall()
        n_customers = conn.execute("SELECT max(customer_id) FROM customers").fetchone()[0]
        order, items, payment = fake_shop.order_with_lines(
            rng,
            _next_id(conn, "orders", "order_id"),
            _next_id(conn, "order_items", "order_item_id"),
            _next_id(conn, "payments", "payment_id"),
            n_customers,
            products,
            when=datetime.now(UTC),
        )
        conn.execute("INSERT INTO orders VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)", order)
        conn.cursor().executemany("INSERT INTO order_items VALUES (%s,%s,%s,%s,%s,%s)", items)
        conn.execute("INSERT INTO payments VALUES (%s,%s,%s,%s,%s,%s)", payment)
    elif kind == "order_status":
        oid = _recent_order(conn, rng)
        conn.execute(
            "UPDATE orders SET status = %s, updated_at = now() WHERE order_id = %s",
            (rng.choice(fake_shop.ORDER_STATUSES), oid),
        )
    elif kind == "customer_moves":
        city, country = rng.choice(fake_shop.CITIES)
        top = conn.execute("SELECT max(customer_id) FROM customers").fetchone()[0]
        conn.execute(
            "UPDATE customers SET city = %s, country = %s, street_address = %s,"
            " updated_at = now() WHERE customer_id = %s",
            (city, country, f"{rng.randrange(1, 99)} Neue Straße", rng.randrange(1, top + 1)),
        )
    elif kind == "new_customer":
        cid = _next_id(conn, "customers", "customer_id")
        conn.execute(
            "INSERT INTO customers VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", fake_shop.customer(rng, cid)
        )
    elif kind == "price_change":
        conn.execute(
            "UPDATE products SET price = round(price * %s::numeric, 2), updated_at = now()"
            " WHERE product_id = (SELECT product_id FROM products ORDER BY random() LIMIT 1)",
            (rng.choice([0.9, 1.05, 1.1]),),
        )
    elif kind == "payment_status":
        oid = _recent_order(conn, rng)
        conn.execute("UPDATE payments SET status = 'captured', paid_at = now() WHERE order_id = %s", (oid,))
    elif kind == "purge_order":
        oid = _recent_order(conn, rng)
        for table in ("payments", "order_items", "orders"):
            conn.execute(sql.SQL("DELETE FROM {} WHERE order_id = %s").format(sql.Identifier(table)), (oid,))
    elif kind == "long_note":
        oid = _recent_order(conn, rng)
        # random text does not compress, so Postgres stores it out of line (TOAST)
        alphabet = "abcdefghijklmnopqrstuvwxyzäöüß ✓ÉÀ0123456789"
        note = "Lieferhinweis: " + "".join(rng.choices(alphabet, k=rng.randrange(3000, 8000)))
        conn.execute("UPDATE orders SET note = %s WHERE order_id = %s", (note, oid))


def run_workload(
    conn: psycopg.Connection, transactions: int, rate: float | None = None, seed: int | None = None
) -> WorkloadStats:
    """Run `transactions` transactions, at most `rate` per second (unthrottled if None)."""
    rng = random.Random(seed)  # noqa: S311 -- a synthetic workload, not security
    kinds, weights = zip(*MIX, strict=True)
    stats = WorkloadStats()
    started = time.monotonic()
    for i in range(transactions):
        kind = rng.choices(kinds, weights)[0]
        _one(conn, rng, kind)
        conn.commit()
        stats.transactions += 1
        stats.by_kind[kind] = stats.by_kind.get(kind, 0) + 1
        if rate:
            delay = started + (i + 1) / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    return stats
