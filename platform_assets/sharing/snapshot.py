"""What the protocol says about one table version: protocol, metadata and data files.

Why parquet response format only: it is what every Delta Sharing client reads; the server says
so in the `delta-sharing-capabilities` header, and clients asking for the `delta` format fall
back to it. Tables needing reader features beyond version 1 are refused rather than served
wrongly. File stats carry only `numRecords`, which is exact; min/max values are omitted, since
an inexact value would make a client skip files it needs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError, TableNotFoundError

from platform_assets.lake import Lake
from platform_assets.storage.delta_log import commit_infos
from platform_assets.storage.times import parse_utc


class SharingError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Snapshot:
    dt: DeltaTable
    table_uri: str

    @property
    def version(self) -> int:
        return self.dt.version()

    def protocol_line(self) -> dict:
        return {"protocol": {"minReaderVersion": 1}}

    def metadata_line(self, with_stats: bool = False) -> dict:
        meta = self.dt.metadata()
        out = {
            "id": meta.id,
            "format": {"provider": "parquet"},
            "schemaString": self.dt.schema().to_json(),
            "partitionColumns": list(meta.partition_columns),
            "configuration": dict(meta.configuration),
        }
        if meta.name:
            out["name"] = meta.name
        if meta.description:
            out["description"] = meta.description
        if with_stats:
            files = self._actions()
            out["numFiles"] = files.num_rows
            out["size"] = int(sum(files["size_bytes"].to_pylist()))
        return {"metaData": out}

    def _actions(self) -> pa.Table:
        return pa.table(self.dt.get_add_actions(flatten=True))

    def files(self, limit_hint: int | None = None) -> list[dict]:
        """The version's data files (path relative to the table), enough to hold `limit_hint`
        rows if it is given (the protocol lets the server return fewer files)."""
        partitions = list(self.dt.metadata().partition_columns)
        out, rows = [], 0
        for a in self._actions().to_pylist():
            if limit_hint is not None and rows >= limit_hint and out:
                break
            n = a.get("num_records")
            rows += n or 0
            out.append(
                {
                    "path": a["path"],
                    "size": a["size_bytes"],
                    "id": hashlib.md5(a["path"].encode(), usedforsecurity=False).hexdigest(),  # a file's id
                    "partitionValues": {
                        p: (None if a.get(f"partition.{p}") is None else str(a[f"partition.{p}"]))
                        for p in partitions
                    },
                    "stats": json.dumps({"numRecords": n}) if n is not None else None,
                }
            )
        return out


def parse_timestamp(text: str) -> datetime:
    try:
        return parse_utc(text)
    except ValueError:
        raise SharingError(
            400, "INVALID_PARAMETER_VALUE", f"timestamp {text!r} is not ISO 8601 (2026-11-27T08:00:00Z)"
        ) from None


def commit_times(lake: Lake, table_uri: str, latest: int) -> list[tuple[int, int]]:
    """(version, commit time in epoch ms), newest first, as far back as the log goes."""
    return [(i["version"], int(i.get("timestamp", 0))) for i in commit_infos(lake, table_uri, latest)]


def _ms(ts: datetime) -> float:
    return ts.timestamp() * 1000


def version_at_or_after(lake: Lake, table_uri: str, latest: int, ts: datetime) -> int:
    """The first version committed at or after `ts` (a 400 if none is)."""
    found = None
    for version, committed in commit_times(lake, table_uri, latest):
        if committed < _ms(ts):
            break
        found = version
    if found is None:
        raise SharingError(
            400,
            "INVALID_PARAMETER_VALUE",
            f"no version was committed at or after {ts.isoformat()} (the latest is version {latest})",
        )
    return found


def version_at_or_before(lake: Lake, table_uri: str, latest: int, ts: datetime) -> int:
    """The last version committed at or before `ts` (a 400 if the table is younger)."""
    times = commit_times(lake, table_uri, latest)
    for version, committed in times:
        if committed <= _ms(ts):
            return version
    first = datetime.fromtimestamp(times[-1][1] / 1000, UTC).isoformat() if times else "?"
    raise SharingError(
        400,
        "INVALID_PARAMETER_VALUE",
        f"timestamp {ts.isoformat()} is before the table's first version (committed at {first})",
    )


def open_snapshot(
    lake: Lake, table_uri: str, version: int | None = None, timestamp: str | datetime | None = None
) -> Snapshot:
    if version is not None and timestamp is not None:
        raise SharingError(400, "INVALID_PARAMETER_VALUE", "give version or timestamp, not both")
    try:
        dt = DeltaTable(table_uri, storage_options=lake.storage_options)
    except TableNotFoundError:
        raise SharingError(404, "TABLE_NOT_FOUND", "the table has no data yet") from None
    if dt.protocol().min_reader_version > 1:
        raise SharingError(
            400, "UNSUPPORTED_OPERATION", "the table needs Delta reader features this server does not share"
        )
    if version is not None:
        if not 0 <= version <= dt.version():
            raise SharingError(
                400, "INVALID_PARAMETER_VALUE", f"version {version} does not exist (latest {dt.version()})"
            )
        target: int | datetime = version
    elif timestamp is not None:
        target = parse_timestamp(timestamp) if isinstance(timestamp, str) else timestamp
        # delta-rs answers version 0 for a time before it: the table did not exist then
        version_at_or_before(lake, table_uri, dt.version(), target)
    else:
        return Snapshot(dt, table_uri)
    try:
        dt.load_as_version(target)
    except (DeltaError, ValueError, OSError) as exc:
        raise SharingError(
            400, "INVALID_PARAMETER_VALUE", f"the table cannot be read as of {version or timestamp}: {exc}"
        ) from None
    return Snapshot(dt, table_uri)
