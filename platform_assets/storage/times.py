"""UTC time parsing, one rule for every input the platform reads (CLI flags, config, tokens)."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_utc(text: str | datetime) -> datetime:
    """An ISO-8601 time as an aware UTC datetime: `Z` and offsets are honoured, naive means UTC.

    Raises ValueError for anything else; callers name the flag or field in their message.
    """
    ts = text if isinstance(text, datetime) else datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
