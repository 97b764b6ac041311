"""The clickstream event contract: declared once, it drives everything events touch.

Why one declaration: the Lambda-style transform, the landed-file reader, the processed Delta
schema, the dbt source (`dbt_project/models/staging/events/_events__sources.yml`, rendered
from here) and the metadata store all read this module, so a field added here reaches every
zone and a record the contract rejects is rejected the same way everywhere.

`validate` checks one decoded JSON record (required fields, types, allowed event types,
fields required by particular event types) and returns the row in contract types, or the
reason it is rejected. It is pure Python on purpose: each bad record needs its own reason.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

import pyarrow as pa

from platform_assets.contracts.types import logical_type

EVENT_TYPES = ("page_view", "product_view", "add_to_cart", "checkout", "purchase")


@dataclass(frozen=True)
class EventField:
    name: str
    type: str  # a logical type of contracts/types.py
    required: bool = False
    description: str = ""
    required_for: tuple[str, ...] = ()  # event types that must carry it

    @property
    def arrow_type(self) -> pa.DataType:
        return logical_type(self.type).arrow


@dataclass(frozen=True)
class EventContract:
    name: str
    stream: str  # the Kinesis stream / Firehose delivery stream, and the raw-zone folder
    version: int
    owner: str
    description: str
    fields: tuple[EventField, ...]
    key: str = "event_id"
    partition_column: str = "event_date"
    event_types: tuple[str, ...] = EVENT_TYPES
    first_date: str = "2025-11-01"  # the first daily partition
    # An event may arrive up to this long after it happened (mobile apps buffer offline);
    # later ones go to quarantine, so a partition is final once the window has passed.
    max_lateness_hours: int = 24
    # producer clocks ahead of the collector, plus Firehose's longest buffer (900 s): a record
    # can land under the hour its buffer began in
    future_skew_seconds: int = 1200
    late_after_seconds: int = 300  # arriving later than this marks the event `is_late`
    # An event id is stored once across partitions: copies whose event dates are at most this
    # many days apart (a retried event re-stamped by its client) are recognized as one event,
    # the first landed copy is kept and the conflict is counted. Copies further apart would be
    # stored twice; the `event_ids_unique` check (whole table) then fails the run.
    duplicate_window_days: int = 7
    freshness_sla_minutes: int = 60

    def field(self, name: str) -> EventField:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"event contract {self.name} has no field {name!r}")

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(f.name, f.arrow_type, nullable=not f.required) for f in self.fields])

    def processed_schema(self) -> pa.Schema:
        """The Delta table: contract fields, the partition column, lateness and lineage."""
        fields = list(self.arrow_schema())
        fields += [pa.field(n, t, nullable=False) for n, t in DERIVED_COLUMNS]
        return pa.schema(fields)

    def to_doc(self) -> dict:
        """The contract as a JSON document (metadata store, catalog)."""
        doc = {
            "name": self.name,
            "kind": "event",
            "stream": self.stream,
            "owner": self.owner,
            "description": self.description,
            "key": self.key,
            "partition_column": self.partition_column,
            "event_types": list(self.event_types),
            "max_lateness_hours": self.max_lateness_hours,
            "columns": [
                {
                    "name": f.name,
                    "type": f.type,
                    "nullable": not f.required,
                    "required_for": list(f.required_for),
                    "description": f.description,
                }
                for f in self.fields
            ]
            + [{"name": n, "type": t, "nullable": False, "description": d} for n, t, d in DERIVED_DOCS],
        }
        return doc

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.to_doc(), sort_keys=True).encode()).hexdigest()

    # -- validation -------------------------------------------------------------------------
    @cached_property
    def _plan(self) -> tuple[list, dict[str, list[str]]]:
        fields = [(f.name, _PARSERS[f.type], f.required) for f in self.fields]
        by_type = {t: [f.name for f in self.fields if t in f.required_for] for t in self.event_types}
        return fields, by_type

    def validate(self, record: Any) -> tuple[dict | None, str | None]:
        """(row, None) with values in contract types, or (None, reason)."""
        if not isinstance(record, dict):
            return None, f"not a JSON object but {type(record).__name__}"
        fields, required_by_type = self._plan
        row: dict[str, Any] = {}
        for name, parse, required in fields:
            value = record.get(name)
            if value is None:
                if required:
                    return None, f"required field {name!r} is missing"
                row[name] = None
                continue
            parsed, problem = parse(value)
            if problem:
                return None, f"field {name!r}: {problem}"
            row[name] = parsed
        needed = required_by_type.get(row["event_type"])
        if needed is None:
            return None, (f"event_type {row['event_type']!r} is not one of {', '.join(self.event_types)}")
        for name in needed:
            if row[name] is None:
                return None, f"field {name!r} is required for {row['event_type']} events"
        if not row[self.key].strip():  # "" or white space identifies nothing
            return None, f"field {self.key!r} is blank (empty or white space only)"
        return row, None

    def arrival_problem(self, event_ts: datetime, arrival_hour: datetime) -> str | None:
        """Why an event landed in `arrival_hour`'s folder cannot be stored, or None.

        These two rules bound the event dates a landed file can hold, which is what lets a
        daily partition be rebuilt from a known set of arrival hours (events_lake/window.py).
        """
        if event_ts.date() < date.fromisoformat(self.first_date):
            return f"event_ts {event_ts:%Y-%m-%d} is before the first partition {self.first_date}"
        lateness = (arrival_hour - event_ts).total_seconds()
        if lateness > self.max_lateness_hours * 3600:
            return (
                f"arrived {lateness / 3600:.1f} h after event_ts, more than the contract's "
                f"max_lateness_hours={self.max_lateness_hours}"
            )
        ahead = (event_ts - arrival_hour).total_seconds() - 3600
        if ahead >= self.future_skew_seconds:
            return f"event_ts is {ahead:.0f} s after its arrival hour ended (clock skew?)"
        return None


def _text(v: Any) -> tuple[Any, str | None]:
    return (v, None) if isinstance(v, str) else (None, f"expected a string, got {v!r:.40}")


def _integer(bits: int):
    bound = 2 ** (bits - 1)

    def parse(v: Any) -> tuple[Any, str | None]:
        if isinstance(v, bool) or not isinstance(v, int):
            return None, f"expected an integer, got {v!r:.40}"
        if not -bound <= v < bound:
            return None, f"{v} does not fit in {bits} bits"
        return v, None

    return parse


def _timestamp(v: Any) -> tuple[Any, str | None]:
    if not isinstance(v, str):
        return None, f"expected an ISO-8601 timestamp string, got {v!r:.40}"
    try:
        ts = datetime.fromisoformat(v)
    except ValueError:
        return None, f"not an ISO-8601 timestamp: {v!r:.40}"
    if ts.tzinfo is None:
        return None, f"timestamp without a time zone: {v!r:.40}"
    return ts.astimezone(UTC), None


_CENT = Decimal("0.01")


def _money(v: Any) -> tuple[Any, str | None]:
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        return None, f"expected an amount, got {v!r:.40}"
    try:
        d = Decimal(str(v))
    except InvalidOperation:
        return None, f"not an amount: {v!r:.40}"
    if not d.is_finite() or d != d.quantize(_CENT) or abs(d) >= Decimal("1e10"):
        return None, f"not an amount in cents below 10^10: {v!r:.40}"
    return d.quantize(_CENT), None


def _boolean(v: Any) -> tuple[Any, str | None]:
    return (v, None) if isinstance(v, bool) else (None, f"expected true/false, got {v!r:.40}")


def _double(v: Any) -> tuple[Any, str | None]:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None, f"expected a number, got {v!r:.40}"
    return float(v), None


def _date(v: Any) -> tuple[Any, str | None]:
    try:
        return date.fromisoformat(v), None
    except (TypeError, ValueError):
        return None, f"not an ISO date: {v!r:.40}"


_PARSERS = {
    "text": _text,
    "bigint": _integer(64),
    "int": _integer(32),
    "timestamptz": _timestamp,
    "money": _money,
    "boolean": _boolean,
    "double": _double,
    "date": _date,
}

F = EventField
EVENTS = EventContract(
    name="events",
    stream="shop-clickstream",
    version=1,
    owner="team:web-analytics",
    description="Shop clickstream: page and product views, carts, checkouts and purchases.",
    fields=(
        F(
            "event_id",
            "text",
            required=True,
            description="Unique id of the event (UUID); a redelivered event keeps it, so it is stored once.",
        ),
        F("event_type", "text", required=True, description=", ".join(EVENT_TYPES) + "."),
        F("event_ts", "timestamptz", required=True, description="When it happened (client)."),
        F(
            "ingestion_ts",
            "timestamptz",
            required=True,
            description="When the collector received it; filled from the Kinesis arrival time "
            "by the stream transform when missing.",
        ),
        F("session_id", "text", required=True, description="The visit the event belongs to."),
        F("customer_id", "bigint", description="The logged-in customer; null if anonymous."),
        F(
            "product_id",
            "bigint",
            required_for=("product_view", "add_to_cart"),
            description="The product viewed or added to the cart.",
        ),
        F("quantity", "int", required_for=("add_to_cart",), description="Units added."),
        F("price", "money", description="Product price shown, in EUR."),
        F("order_id", "bigint", description="The shop order a purchase created, if known."),
        F("page_url", "text", description="Path of the page."),
        F("referrer", "text", description="Where the visit came from."),
        F("device", "text", description="web, ios or android."),
    ),
)

# Columns the platform adds in the processed zone (name, Arrow type) and their docs.
DERIVED_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("event_date", pa.date32()),
    ("is_late", pa.bool_()),
    ("_source_file", pa.string()),
]
DERIVED_DOCS = [
    ("event_date", "date", "UTC day of event_ts: the daily partition."),
    ("is_late", "boolean", "Arrived more than late_after_seconds after it happened."),
    ("_source_file", "text", "Landed file the stored copy was read from."),
]
