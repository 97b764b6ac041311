"""Run the clickstream generator into a sink: Firehose-format files, or a Kinesis stream.

`FirehoseFileSink` plays Kinesis Firehose in the `local` profile: it buffers records by
arrival (size or time, like Firehose's buffering hints) and writes one gzip NDJSON object per
buffer under the arrival hour of its oldest record; a buffer never spans two hours.
`KinesisSink` is the `prod` path: `PutRecords` in batches of 500 keyed by visit, so a visit's
events stay in order on one shard; Firehose (or the consumer in `streams/`) lands them.

`produce` paces records in wall-clock time (`realtime=True`, what `lakehouse events produce
--rate N --duration S` does) or writes them as fast as it can with their simulated times
(tests, benchmarks, back-filling a day of history).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from platform_assets.contracts.events import EVENTS
from platform_assets.lake import Lake
from platform_assets.raw.firehose_layout import (
    hour_of,
    hour_path,
    object_name,
    stream_prefix,
    write_ndjson_gz,
)
from platform_assets.sources.events.generator import (
    ClickstreamGenerator,
    Emission,
    ProducerConfig,
    ProducerStats,
)


class Sink(Protocol):
    def add(self, e: Emission) -> None: ...
    def close(self) -> None: ...


class FirehoseFileSink:
    """Buffers records like Firehose (default 1 MiB or 60 s) and lands them as files."""

    def __init__(
        self,
        lake: Lake,
        stream: str = EVENTS.stream,
        buffer_bytes: int = 1 << 20,
        buffer_seconds: float = 60.0,
    ):
        self.lake, self.stream = lake, stream
        self.buffer_bytes, self.buffer_seconds = buffer_bytes, buffer_seconds
        self.lines: list[bytes] = []
        self.size = 0
        self.first: datetime | None = None
        self.files: list[str] = []

    def add(self, e: Emission) -> None:
        if self.first is not None and (
            hour_of(e.arrival) != hour_of(self.first)
            or (e.arrival - self.first).total_seconds() >= self.buffer_seconds
        ):
            self.flush()
        if self.first is None:
            self.first = e.arrival
        self.lines.append(e.line)
        self.size += len(e.line) + 1
        if self.size >= self.buffer_bytes:
            self.flush()

    def flush(self) -> str | None:
        if not self.lines or self.first is None:
            return None
        key = f"{hour_path(hour_of(self.first))}/{object_name(self.stream, self.first)}"
        uri = f"{stream_prefix(self.lake, self.stream)}/{key}"
        write_ndjson_gz(self.lake, uri, self.lines)
        self.files.append(uri)
        self.lines, self.size, self.first = [], 0, None
        return uri

    def close(self) -> None:
        self.flush()


class KinesisSink:
    """PutRecords to a Kinesis stream, retrying the records a throttled call rejected."""

    def __init__(self, client, stream: str, batch: int = 500):
        self.client, self.stream, self.batch = client, stream, batch
        self.pending: list[dict] = []
        self.sent = 0

    def add(self, e: Emission) -> None:
        self.pending.append({"Data": e.line, "PartitionKey": e.partition_key})
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        records, attempt = self.pending, 0
        while records:
            out = self.client.put_records(StreamName=self.stream, Records=records)
            failed = [r for r, res in zip(records, out["Records"], strict=True) if res.get("ErrorCode")]
            self.sent += len(records) - len(failed)
            records, attempt = failed, attempt + 1
            if records:
                time.sleep(min(2.0, 0.05 * 2**attempt))
        self.pending = []

    def close(self) -> None:
        self.flush()


def produce(
    sink: Sink,
    cfg: ProducerConfig,
    rate: float,
    duration: float,
    start: datetime | None = None,
    realtime: bool = False,
) -> ProducerStats:
    """Generate `rate * duration` events into `sink`; realtime paces them by arrival time."""
    if rate <= 0 or duration <= 0:
        raise ValueError("rate and duration must be positive")
    now = datetime.now(UTC)
    start = start or (now if realtime else now - timedelta(seconds=duration))
    gen = ClickstreamGenerator(cfg)
    clock0 = time.monotonic()
    end = start + timedelta(seconds=duration)
    for e in gen.emissions(int(rate * duration), start, rate, end=end):
        if realtime:
            wait = (e.arrival - start).total_seconds() - (time.monotonic() - clock0)
            if wait > 0:
                time.sleep(wait)
        sink.add(e)
    sink.close()
    return gen.stats


def shop_ids(conn) -> tuple[list[int], list[int], list[int], dict[int, Decimal]]:
    """Customer, product and order ids (and prices) of the shop's Postgres."""
    customers = [r[0] for r in conn.execute("SELECT customer_id FROM customers ORDER BY 1")]
    products = conn.execute("SELECT product_id, price FROM products ORDER BY 1").fetchall()
    orders = [r[0] for r in conn.execute("SELECT order_id FROM orders ORDER BY 1")]
    return customers, [p for p, _ in products], orders, dict(products)


def config_from_ids(
    customers: Sequence[int],
    products: Sequence[int],
    orders: Sequence[int] = (),
    prices: dict | None = None,
    **kwargs,
) -> ProducerConfig:
    return ProducerConfig(list(customers), list(products), list(orders), dict(prices or {}), **kwargs)
