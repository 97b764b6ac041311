"""Values of the command line: each parser turns one text into a value or says what is wrong.

Why plain functions: they are tested (and usable) without a CLI framework; `Value` adapts one
to click, which turns its `InvalidValue` into `error: argument --flag: <message>` (exit 2;
the flag is named by the CLI, so a message never names the wrong one).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime

import click


class InvalidValue(ValueError):
    """A command-line value that does not parse; the message says why, not which flag."""


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not a whole number") from None


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise InvalidValue(f"{text!r} must be a finite number greater than 0")
    return value


def positive_int(text: str) -> int:
    """1, 2, ... (counts, sizes)."""
    value = _int(text)
    if value < 1:
        raise InvalidValue(f"{value} must be at least 1")
    return value


def non_negative_int(text: str) -> int:
    """0, 1, ... (limits where 0 means none)."""
    value = _int(text)
    if value < 0:
        raise InvalidValue(f"{value} must be at least 0")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (rates, durations, intervals)."""
    try:
        value = _float(text)
    except InvalidValue:
        raise InvalidValue(f"{text!r} is not a number greater than 0") from None
    if value <= 0:
        raise InvalidValue(f"{text} must be a number greater than 0")
    return value


def non_negative_float(text: str) -> float:
    value = _float(text)
    if value < 0:
        raise InvalidValue(f"{text} must be at least 0")
    return value


def probability(text: str) -> float:
    """A share between 0 and 1 (the producer's duplicate / malformed / late rates)."""
    value = _float(text)
    if not 0 <= value <= 1:
        raise InvalidValue(f"{text} must be between 0 and 1")
    return value


def port(text: str) -> int:
    value = _int(text)
    if not 1 <= value <= 65535:
        raise InvalidValue(f"{value} must be between 1 and 65535")
    return value


def iso_date(text: str) -> date:
    """YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(f"{text!r} is not a date; write YYYY-MM-DD, e.g. 2026-03-01") from None


def iso_time(text: str) -> datetime:
    """An ISO-8601 time; UTC if it has no offset."""
    try:
        ts = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(f"{text!r} is not an ISO-8601 time such as 2026-11-27T08:00:00Z") from None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def version_or_time(text: str) -> int | datetime:
    """A Delta table version (0, 1, ...) or an ISO-8601 time (UTC if it has no offset)."""
    stripped = text.strip()
    if stripped.lstrip("+-").isdigit():
        value = int(stripped)
        if value < 0:
            raise InvalidValue(f"{text!r} is not a version number (versions start at 0) nor an ISO-8601 time")
        return value
    try:
        return iso_time(stripped)
    except InvalidValue:
        raise InvalidValue(
            f"{text!r} is not a version number nor an ISO-8601 time such as 2026-11-27T08:00:00Z"
        ) from None


def column_list(text: str) -> list[str]:
    """Comma-separated column names, none empty (whether the table has them is checked later)."""
    names = [n.strip() for n in text.split(",")]
    if not all(names):
        raise InvalidValue(f"{text!r} has an empty column name; write a,b,c")
    return names


def table_ref(text: str):
    """`<zone>.<table>` of a Delta table the contracts declare (a tables.TableRef)."""
    from platform_assets.errors import PlatformError
    from platform_assets.tables import TableRef

    try:
        return TableRef.parse(text)
    except PlatformError as exc:
        raise InvalidValue(str(exc)) from None


class Value(click.ParamType):
    """One of the parsers above as a click type; `metavar` is what the usage line shows."""

    def __init__(self, parse: Callable[[str], object], metavar: str):
        self.parse, self.name = parse, metavar

    def convert(self, value, param, ctx):
        if not isinstance(value, str):  # a default, already a value
            return value
        try:
            return self.parse(value)
        except InvalidValue as exc:
            self.fail(str(exc), param, ctx)


COUNT = Value(positive_int, "N")
LIMIT = Value(non_negative_int, "N")
SEED = Value(non_negative_int, "SEED")
SECONDS = Value(positive_float, "SECONDS")
RATE = Value(positive_float, "PER_SECOND")
SHARE = Value(probability, "0..1")
PORT = Value(port, "PORT")
DATE = Value(iso_date, "YYYY-MM-DD")
TIME = Value(iso_time, "TIME")
VERSION_OR_TIME = Value(version_or_time, "VERSION|TIME")
COLUMNS = Value(column_list, "A,B,C")
TABLE = Value(table_ref, "ZONE.TABLE")
IDLE_SECONDS = Value(non_negative_float, "SECONDS")
