"""Open or read a Delta table as it was at a version or at a point in time.

Why a helper: `--as-of 12` and `--as-of 2026-11-27T08:00:00Z` mean the same thing in the CLI,
a Dagster asset and an ML dataset pinned to a version, and a bad value is one clear line.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.dataset as ds
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError, TableNotFoundError

from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.storage.delta_log import commit_info
from platform_assets.storage.times import parse_utc
from platform_assets.tables.refs import TableRef

AsOf = int | datetime | None


def parse_as_of(text: str | int | datetime | None) -> AsOf:
    """A version number, an ISO-8601 time (naive means UTC), or None for the current state."""
    if text is None or isinstance(text, int | datetime):
        return parse_utc(text) if isinstance(text, datetime) else text
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    try:
        return parse_utc(text)
    except ValueError:
        raise PlatformError(
            f"--as-of {text!r} is neither a version number nor an ISO-8601 time such as 2026-11-27T08:00:00Z"
        ) from None


def _commit_time(info: dict | None) -> datetime | None:
    ts = (info or {}).get("timestamp")
    return None if ts is None else datetime.fromtimestamp(ts / 1000, UTC)


def _version_at(lake: Lake, ref: TableRef, current: int, when: datetime) -> int:
    """The newest version committed at or before `when`, by the commit times `table history`
    shows (reading the log back only as far as that version). Refuses a time before the first
    commit or after the last one: the table did not exist then, or its state then is unknown."""
    uri = ref.uri(lake)
    last_t = _commit_time(commit_info(lake, uri, current))
    first = (current, last_t)  # the oldest commit read so far
    for version in range(current, -1, -1):
        info = commit_info(lake, uri, version)
        if info is None:
            break  # older log files were cleaned up after a checkpoint
        if (t := _commit_time(info)) is None:
            continue
        if t <= when and when <= last_t:
            return version
        first = (version, t)
    side = "after the last" if last_t and when > last_t else "before the first"
    raise PlatformError(
        f"{ref} has no state at {when.isoformat()}: that is {side} commit; its history runs "
        f"from version {first[0]} at {first[1].isoformat() if first[1] else '?'} to version "
        f"{current} at {last_t.isoformat() if last_t else '?'} (lakehouse table history {ref})"
    )


def open_as_of(lake: Lake, ref: TableRef, as_of: AsOf | str = None) -> DeltaTable:
    """The table at `as_of`: the version itself, or the newest version committed at or before
    the time. Raises PlatformError if the table or that state does not exist (a version or a
    time outside the table's history, or files removed by VACUUM)."""
    as_of = parse_as_of(as_of)
    try:
        dt = DeltaTable(ref.uri(lake), storage_options=lake.storage_options)
    except TableNotFoundError:
        raise PlatformError(
            f"{ref} has no Delta table at {ref.uri(lake)} yet; materialize {'/'.join(ref.key_path)} first"
        ) from None
    if as_of is None:
        return dt
    current = dt.version()
    if isinstance(as_of, datetime):
        as_of = _version_at(lake, ref, current, as_of)
    if not 0 <= as_of <= current:
        raise PlatformError(f"{ref} has versions 0..{current}; there is no version {as_of}")
    try:
        dt.load_as_version(as_of)
    except (DeltaError, ValueError, OSError) as exc:
        raise PlatformError(f"{ref} cannot be read as of {as_of}: {exc}") from None
    return dt


def read_as_of(
    lake: Lake,
    ref: TableRef,
    as_of: AsOf | str = None,
    columns: list[str] | None = None,
    filter: ds.Expression | None = None,
    limit: int | None = None,
) -> pa.Table:
    """Rows of the table as of a version or time (all of them unless `limit`)."""
    dataset = open_as_of(lake, ref, as_of).to_pyarrow_dataset()
    if limit is not None:
        return dataset.head(limit, columns=columns, filter=filter)
    return dataset.to_table(columns=columns, filter=filter)
