"""Which arrival hours can hold events of which dates, from the contract's arrival rules.

A file landed under hour H only stores events with H - max_lateness <= event_ts <
H + 1 h + future_skew (others go to quarantine, see EventContract.arrival_problem). So the
event dates of a file are bounded, and the files that can feed a range of daily partitions
are the arrival hours of a bounded window: a partition can be rebuilt without reading the
stream's whole history, and the sensor knows which partitions new files can touch.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from platform_assets.contracts.events import EventContract
from platform_assets.raw.firehose_layout import hour_of


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def possible_dates(c: EventContract, hour: datetime) -> tuple[date, date]:
    """First and last event date a file of arrival hour `hour` can hold."""
    lo = hour - timedelta(hours=c.max_lateness_hours)
    hi = hour + timedelta(hours=1, seconds=c.future_skew_seconds) - timedelta(microseconds=1)
    first = max(lo.date(), date.fromisoformat(c.first_date))
    return first, hi.date()


def arrival_hours(c: EventContract, first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """Arrival hours [start, end) whose files can hold events dated first_day..last_day."""
    earliest = midnight(first_day) - timedelta(hours=1, seconds=c.future_skew_seconds)
    start = hour_of(earliest) + timedelta(hours=1)  # the first hour H with H + 1h + skew > day
    end = midnight(last_day) + timedelta(days=1, hours=c.max_lateness_hours)
    return start, end


def dates_between(first_day: date, last_day: date) -> list[date]:
    return [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
