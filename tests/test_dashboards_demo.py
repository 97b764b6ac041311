"""The demo lands clickstream for the seeded shop (so the funnel has data), once (here two
days of it; the demo lands a week)."""

from __future__ import annotations

from datetime import UTC, datetime

import psycopg

from platform_assets.contracts.events import EVENTS
from platform_assets.demo import land_clickstream
from platform_assets.events_lake import ingest
from platform_assets.events_lake.table import uri as events_uri
from platform_assets.lake import Lake
from platform_assets.sources.oltp.seed import seed


def test_the_demo_lands_clickstream_for_the_seeded_shop_once(pg_dsn, tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    now = datetime(2026, 3, 8, 12, tzinfo=UTC)
    with psycopg.connect(pg_dsn) as conn:
        seed(conn, orders=400, seed=5)
        orders = {r[0] for r in conn.execute("select order_id from orders")}
        customers = {r[0] for r in conn.execute("select customer_id from customers")}
        landed = land_clickstream(lake, conn, now=now, days=2)
        files = sorted((tmp_path / "lake" / "raw" / "events").rglob("*.gz"))
        assert land_clickstream(lake, conn, now=now, days=2) == 0  # a second demo lands nothing
    assert landed > 8_000 and 150 < len(files) < 250  # 15-minute objects
    assert sorted((tmp_path / "lake" / "raw" / "events").rglob("*.gz")) == files

    result = ingest.catch_up(lake, today=now.date())
    assert result.valid_events > 0.9 * landed  # a few malformed records are quarantined
    from deltalake import DeltaTable

    events = DeltaTable(events_uri(lake)).to_pyarrow_table().to_pylist()
    days = {e["event_date"] for e in events}
    assert len(days) >= 2
    purchases = [e for e in events if e["event_type"] == "purchase"]
    assert purchases and {e["order_id"] for e in purchases} <= orders
    assert {e["customer_id"] for e in events if e["customer_id"] is not None} <= customers
    assert EVENTS.stream in str(files[0])
