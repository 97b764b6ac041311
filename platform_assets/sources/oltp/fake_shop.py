"""Deterministic generators of realistic shop rows, shared by the seed and the workload.

Names and notes carry quotes, unicode and nulls on purpose: they are what breaks CSV
escaping, Parquet encodings and string comparisons downstream.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

FIRST = [
    "Anna",
    "Zoë",
    "José",
    "Łukasz",
    "Siobhán",
    "Mei",
    "Ahmed",
    "Chloé",
    "Ólafur",
    "Priya",
    "Jean-Luc",
    "Åsa",
    "Noah",
    "Yuki",
    "Fatima",
    "Björn",
]
LAST = [
    "O'Brien",
    "Müller",
    "García",
    "Nguyễn",
    "D'Angelo",
    "Smith",
    "Kowalski",
    "Øster",
    "Dubois",
    "Rossi",
    "Tanaka",
    "Ivanović",
    "MacLeod",
    'Van "Dutch" Berg',
]
CITIES = [
    ("Berlin", "DE"),
    ("München", "DE"),
    ("Paris", "FR"),
    ("Lyon", "FR"),
    ("Kraków", "PL"),
    ("Dublin", "IE"),
    ("Reykjavík", "IS"),
    ("Milano", "IT"),
    ("Zürich", "CH"),
    ("São Paulo", "BR"),
    ("Tōkyō", "JP"),
    ("Austin", "US"),
]
CATEGORIES = ["kitchen", "garden", "books", "toys", "apparel", "electronics", "coffee"]
ADJ = ["Classic", "Deluxe", "Mini", "Café", "Crème", "Eco", "Ultra", "Vintage"]
NOUNS = ["Mug", "Kettle", "Notebook", "Lamp", "Scarf", "Drone", "Grinder", "Planter"]
NOTES = [
    None,
    None,
    None,
    None,
    "Leave at the door",
    'Ring twice — "back door"',
    "Geschenk, bitte ohne Rechnung",
    "C'est un cadeau 🎁",
    "Fragile; handle with care",
]
ORDER_STATUSES = ["placed", "paid", "shipped", "delivered", "cancelled"]
METHODS = ["card", "paypal", "bank_transfer", "voucher"]
EPOCH = datetime(2025, 11, 1, tzinfo=UTC)  # fixed so a seed is reproducible


def ts(rng: random.Random, days: int = 365) -> datetime:
    return EPOCH + timedelta(seconds=rng.randrange(days * 86400), microseconds=rng.randrange(10**6))


def money(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(rng.randrange(int(low * 100), int(high * 100))) / 100


def customer(rng: random.Random, cid: int) -> tuple:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    city, country = rng.choice(CITIES)
    created = ts(rng)
    phone = None if rng.random() < 0.3 else f"+{rng.randrange(10, 99)} {rng.randrange(10**8, 10**9)}"
    email = f"{first.lower()}.{cid}@example.com".replace(" ", "")
    street = f"{rng.randrange(1, 200)} {rng.choice(['Main St', 'Hauptstraße', 'Rue de l’Église'])}"
    return (cid, email, first, last, phone, street, city, country, rng.random() < 0.4, created, created)


def product(rng: random.Random, pid: int) -> tuple:
    name = f"{rng.choice(ADJ)} {rng.choice(NOUNS)}"
    if rng.random() < 0.1:
        name += ' 12" edition'
    created = ts(rng)
    return (
        pid,
        f"SKU-{pid:06d}",
        name,
        rng.choice(CATEGORIES),
        money(rng, 2, 400),
        rng.random() < 0.95,
        created,
        created,
    )


def order_with_lines(
    rng: random.Random,
    oid: int,
    first_item_id: int,
    pay_id: int,
    n_customers: int,
    products: list[tuple],
    when: datetime | None = None,
):
    """One order, its lines and its payment; totals add up like a real checkout."""
    placed = when or ts(rng)
    items = []
    for i in range(rng.choice([1, 1, 2, 2, 3, 4])):
        p = rng.choice(products)
        discount = None if rng.random() < 0.8 else money(rng, 0.5, 5)
        quantity = rng.randrange(1, 4)
        if discount is not None:  # a discount never exceeds the line (cheap products)
            discount = min(discount, quantity * p[4])
        items.append((first_item_id + i, oid, p[0], quantity, p[4], discount))
    total = sum(q * price - (d or 0) for _, _, _, q, price, d in items)
    status = rng.choice(ORDER_STATUSES)
    city, country = rng.choice(CITIES)
    order = (
        oid,
        rng.randrange(1, n_customers + 1),
        status,
        placed,
        total,
        "EUR",
        None if rng.random() < 0.05 else country,
        rng.choice(NOTES),
        placed,
    )
    paid = status in ("paid", "shipped", "delivered")
    payment = (
        pay_id,
        oid,
        rng.choice(METHODS),
        total,
        "captured" if paid else ("refunded" if status == "cancelled" else "pending"),
        placed + timedelta(minutes=rng.randrange(1, 90)) if paid else None,
    )
    return order, items, payment
