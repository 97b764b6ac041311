"""Parse what a recipient sends (the query body, the change feed's parameters): every value is
checked for its type and range, and anything wrong is a 400 with the protocol's error body
naming the field, never a 500 from deep inside the server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from platform_assets.sharing.snapshot import SharingError, parse_timestamp

BAD = "INVALID_PARAMETER_VALUE"


def _bad(message: str) -> SharingError:
    return SharingError(400, BAD, message)


def _version(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad(f"{name} must be a version number (an integer >= 0), not {value!r:.40}")
    return value


def _version_text(name: str, text: str) -> int:
    try:
        return _version(name, int(text))
    except ValueError:
        raise _bad(f"{name} must be a version number (an integer >= 0), not {text!r:.40}") from None


def _time(name: str, value: object) -> datetime:
    if not isinstance(value, str):
        raise _bad(f"{name} must be an ISO-8601 timestamp string, not {value!r:.40}")
    return parse_timestamp(value)


@dataclass(frozen=True)
class Query:
    """The body of a table query (protocol: "Query Table")."""

    version: int | None = None
    timestamp: datetime | None = None
    limit_hint: int | None = None


def parse_query(body: bytes) -> Query:
    try:
        q = json.loads(body) if body.strip() else {}
    except (ValueError, UnicodeDecodeError):
        raise SharingError(400, "MALFORMED_REQUEST", "the body is not JSON") from None
    if not isinstance(q, dict):
        raise SharingError(
            400, "MALFORMED_REQUEST", f"the body must be a JSON object, not {type(q).__name__}"
        )
    if any(k in q for k in ("startingVersion", "endingVersion")):
        raise SharingError(
            400,
            "UNSUPPORTED_OPERATION",
            "queries with startingVersion are not served; read the change data "
            "feed (GET .../changes) instead",
        )
    if "predicateHints" in q and not (
        isinstance(q["predicateHints"], list) and all(isinstance(h, str) for h in q["predicateHints"])
    ):
        raise _bad("predicateHints must be a list of strings")
    if "jsonPredicateHints" in q and not isinstance(q["jsonPredicateHints"], str):
        raise _bad("jsonPredicateHints must be a string")
    limit = q.get("limitHint")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise _bad(f"limitHint must be an integer >= 0, not {limit!r:.40}")
    version = None if q.get("version") is None else _version("version", q["version"])
    timestamp = None if q.get("timestamp") is None else _time("timestamp", q["timestamp"])
    if version is not None and timestamp is not None:
        raise _bad("give version or timestamp, not both")
    return Query(version, timestamp, limit)


@dataclass(frozen=True)
class ChangesRange:
    """The parameters of a change data feed query (protocol: "Read Change Data Feed")."""

    starting_version: int | None = None
    starting_timestamp: datetime | None = None
    ending_version: int | None = None
    ending_timestamp: datetime | None = None


def parse_changes(params: dict[str, str]) -> ChangesRange:
    sv, st = params.get("startingVersion"), params.get("startingTimestamp")
    ev, et = params.get("endingVersion"), params.get("endingTimestamp")
    if (sv is None) == (st is None):
        raise _bad("give exactly one of startingVersion and startingTimestamp")
    if ev is not None and et is not None:
        raise _bad("give at most one of endingVersion and endingTimestamp")
    return ChangesRange(
        None if sv is None else _version_text("startingVersion", sv),
        None if st is None else _time("startingTimestamp", st),
        None if ev is None else _version_text("endingVersion", ev),
        None if et is None else _time("endingTimestamp", et),
    )
