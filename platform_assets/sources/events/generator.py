"""A seeded generator of realistic shop clickstream, in the order records reach the collector.

Visits start as a Poisson process; each walks the funnel (page views, product views, add to
cart, checkout, purchase) with realistic drop-off and think times. Customers, products and
orders are ids of the shop's own tables, passed in as lists so the generator also works
without Postgres. Like real streams it delivers:
- a little lateness: some records reach the collector minutes to hours after they happened
  (apps buffering offline), within the contract's `max_lateness_hours`;
- a little duplication: some records are delivered twice, byte for byte (at-least-once
  retries), possibly into a later file;
- a few malformed records (broken JSON, missing or mistyped fields, unknown event types),
  which must end in quarantine, not in the lake.

Memory stays bounded: records wait in a heap keyed by arrival only while they can still be
overtaken by a later visit.
"""

from __future__ import annotations

import heapq
import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from platform_assets.contracts.events import EVENTS

DEVICES = (("web", 0.55), ("ios", 0.25), ("android", 0.20))
REFERRERS = ("google", "direct", "newsletter", "instagram", "partner", None)
CATEGORIES = ("kitchen", "garden", "books", "toys", "apparel", "electronics", "coffee")


@dataclass
class ProducerConfig:
    customer_ids: Sequence[int]
    product_ids: Sequence[int]
    order_ids: Sequence[int] = ()
    prices: dict[int, Decimal] = field(default_factory=dict)
    seed: int = 7
    duplicate_rate: float = 0.02
    malformed_rate: float = 0.01
    late_rate: float = 0.02
    anonymous_rate: float = 0.3

    def __post_init__(self) -> None:
        if not self.customer_ids or not self.product_ids:
            raise ValueError("the producer needs at least one customer id and one product id")


@dataclass(frozen=True)
class Emission:
    arrival: datetime  # when the collector/stream receives the record
    line: bytes  # the record, one JSON line (or garbage)
    kind: str  # "valid", "duplicate" or "malformed"
    event_id: str | None
    partition_key: str  # Kinesis partition key: the visit


@dataclass
class ProducerStats:
    records: int = 0
    valid: int = 0  # distinct valid events
    duplicates: int = 0  # extra copies of valid events
    malformed: int = 0
    late: int = 0
    by_type: dict[str, int] = field(default_factory=dict)

    def count(self, e: Emission, event_type: str | None = None, late: bool = False) -> None:
        self.records += 1
        if e.kind == "valid":
            self.valid += 1
            self.late += late
            if event_type:
                self.by_type[event_type] = self.by_type.get(event_type, 0) + 1
        elif e.kind == "duplicate":
            self.duplicates += 1
        else:
            self.malformed += 1


_V4_MASK = ~((0xF000 << 64) | (0xC000 << 48)) & (2**128 - 1)
_V4_BITS = (0x4000 << 64) | (0x8000 << 48)


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ClickstreamGenerator:
    def __init__(self, cfg: ProducerConfig):
        self.cfg = cfg
        self.rng = random.Random(cfg.seed)  # noqa: S311 -- reproducible synthetic clicks, not security
        self.stats = ProducerStats()
        self._prices: dict[int, str] = {}

    def _price(self, product_id: int) -> str:
        price = self._prices.get(product_id)
        if price is None:
            known = self.cfg.prices.get(product_id)
            price = self._prices[product_id] = str(
                Decimal(known)
                if known is not None
                else Decimal(random.Random(product_id).randrange(200, 40_000)) / 100  # noqa: S311 -- a fake price
            )
        return price

    def _uuid(self) -> str:
        """A random (version 4) UUID from the seeded generator, so runs are reproducible."""
        h = f"{self.rng.getrandbits(128) & _V4_MASK | _V4_BITS:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def _visit(self, start: datetime) -> list[dict]:
        """One visit's events, in event-time order."""
        rng, cfg = self.rng, self.cfg
        device = rng.choices([d for d, _ in DEVICES], [w for _, w in DEVICES])[0]
        base = {
            "session_id": self._uuid(),
            "customer_id": None if rng.random() < cfg.anonymous_rate else rng.choice(cfg.customer_ids),
            "device": device,
            "referrer": rng.choice(REFERRERS),
        }
        t = start
        steps: list[tuple[str, dict]] = [("page_view", {"page_url": "/"})]
        for _ in range(rng.choice([0, 0, 1, 2])):
            steps.append(("page_view", {"page_url": f"/c/{rng.choice(CATEGORIES)}"}))
        cart: list[int] = []
        if rng.random() < 0.8:
            for _ in range(rng.choice([1, 1, 2, 3, 5])):
                pid = rng.choice(cfg.product_ids)
                steps.append(
                    ("product_view", {"product_id": pid, "price": self._price(pid), "page_url": f"/p/{pid}"})
                )
                if rng.random() < 0.3:
                    cart.append(pid)
                    steps.append(
                        (
                            "add_to_cart",
                            {
                                "product_id": pid,
                                "price": self._price(pid),
                                "quantity": rng.choice([1, 1, 1, 2, 3]),
                                "page_url": f"/p/{pid}",
                            },
                        )
                    )
        if cart and rng.random() < 0.55:
            steps.append(("checkout", {"page_url": "/checkout"}))
            if rng.random() < 0.7:
                order = rng.choice(cfg.order_ids) if cfg.order_ids else None
                steps.append(("purchase", {"page_url": "/checkout/complete", "order_id": order}))
        events = []
        for event_type, extra in steps:
            t += timedelta(seconds=rng.expovariate(1 / 20))
            events.append(
                {"event_id": self._uuid(), "event_type": event_type, "event_ts": t, **base, **extra}
            )
        return events

    def _malformed(self, record: dict) -> bytes:
        kind = self.rng.randrange(5)
        if kind == 0:
            return json.dumps(record, default=str).encode()[: self.rng.randrange(5, 40)]
        broken = dict(record)
        if kind == 1:
            broken.pop("event_ts")
        elif kind == 2:
            broken["event_type"] = "page_vew"
        elif kind == 3:
            broken["customer_id"] = "cust-" + str(broken.get("customer_id"))
        else:
            broken["event_ts"] = broken["event_ts"][:19]  # no time zone
        return json.dumps(broken, separators=(",", ":")).encode()

    def _emit(self, ev: dict, end: datetime | None, max_late: float, heap: list, seq: int) -> int:
        """Queue one event's record(s) by arrival: late, duplicated or malformed at times."""
        rng, cfg = self.rng, self.cfg
        late = rng.random() < cfg.late_rate
        delay = rng.uniform(360, min(6 * 3600, max_late * 0.5)) if late else rng.uniform(0.05, 3.0)
        arrival = ev["event_ts"] + timedelta(seconds=delay)
        if end is not None:
            arrival = max(ev["event_ts"], min(arrival, end))
        late = (arrival - ev["event_ts"]).total_seconds() > EVENTS.late_after_seconds
        record = {k: v for k, v in ev.items() if v is not None}
        record["event_ts"] = _iso(ev["event_ts"])
        record["ingestion_ts"] = _iso(arrival)
        key = ev["session_id"]
        if rng.random() < cfg.malformed_rate:
            e = Emission(arrival, self._malformed(record), "malformed", None, key)
            heapq.heappush(heap, (arrival, seq := seq + 1, e, None, False))
            return seq
        line = json.dumps(record, separators=(",", ":")).encode()
        e = Emission(arrival, line, "valid", ev["event_id"], key)
        heapq.heappush(heap, (arrival, seq := seq + 1, e, ev["event_type"], late))
        if rng.random() < cfg.duplicate_rate:
            again = arrival + timedelta(seconds=rng.uniform(0.5, 120))
            if end is not None:
                again = max(arrival, min(again, end))
            d = Emission(again, line, "duplicate", ev["event_id"], key)
            heapq.heappush(heap, (again, seq := seq + 1, d, None, False))
        return seq

    def emissions(
        self, n: int, start: datetime, rate: float, end: datetime | None = None
    ) -> Iterator[Emission]:
        """`n` generated events at `rate` per second from `start`, in arrival order.

        With `end`, nothing arrives after it (or after the event itself, if later): a run
        of S seconds delivers its late and repeated records within those S seconds.
        """
        rng = self.rng
        max_late = EVENTS.max_lateness_hours * 3600
        heap: list[tuple[datetime, int, Emission, str | None, bool]] = []  # by arrival
        happened: list[tuple[datetime, int, dict]] = []  # generated events, by event time
        made, seq = 0, 0
        mean_visit = 4.7  # events per visit, on average, for the funnel above (measured)
        # visits begin before `start` so the stream is at its steady rate from the first
        # second; events are taken in event-time order, the first `n` from `start` on
        t = start - timedelta(minutes=15)
        while made < n:
            t += timedelta(seconds=rng.expovariate(rate / mean_visit))
            for ev in self._visit(t):
                if ev["event_ts"] >= start:
                    heapq.heappush(happened, (ev["event_ts"], seq := seq + 1, ev))
            # no later visit can produce an event before its start, t
            while happened and happened[0][0] <= t and made < n:
                ev = heapq.heappop(happened)[2]
                made += 1
                seq = self._emit(ev, end, max_late, heap, seq)
            # nor can anything still to come arrive before t
            while heap and heap[0][0] <= t:
                _, _, e, event_type, late = heapq.heappop(heap)
                self.stats.count(e, event_type, late)
                yield e
        while heap:
            _, _, e, event_type, late = heapq.heappop(heap)
            self.stats.count(e, event_type, late)
            yield e
