"""The change data feed of a shared table, as the protocol's `cdf` file actions.

Curated tables are written with `delta.enableChangeDataFeed` (curated/refresh.py), so delta-rs
can read what each version inserted, updated (pre- and post-image) and deleted
(`DeltaTable.load_cdf`). The protocol hands changes out as files: for each version with
changes, one Parquet file of its rows with `_change_type`, announced as a `cdf` action carrying
the version and commit time (the client adds `_commit_version` and `_commit_timestamp` from
them). The files are written once per (table id, version) into a cache folder the server
serves through signed URLs: a committed version's changes never change, so a second reader of
the same range costs nothing.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError

from platform_assets.sharing.snapshot import SharingError
from platform_assets.storage.delta import CHANGE_FEED_PROPERTY

CDF_ENABLED = CHANGE_FEED_PROPERTY
FEED_COLUMNS = ("_commit_version", "_commit_timestamp")  # the client adds them from the action


@dataclass(frozen=True)
class ChangeFile:
    version: int
    timestamp_ms: int
    rel: str  # path under the cache folder
    size: int
    rows: int


def require_change_feed(dt: DeltaTable, name: str) -> None:
    if dt.metadata().configuration.get(CDF_ENABLED, "false").lower() != "true":
        raise SharingError(
            400,
            "INVALID_PARAMETER_VALUE",
            f"{name} does not record a change data feed ({CDF_ENABLED} is off)",
        )


def _plain(table: pa.Table) -> pa.Table:
    """Parquet readers of every client know `string`, not delta-rs's `string_view`."""
    fields = [pa.field(f.name, pa.string()) if f.type == pa.string_view() else f for f in table.schema]
    return table.cast(pa.schema(fields))


def _write_atomically(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    write(tmp)
    os.replace(tmp, path)


class ChangeFeedCache:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _load(self, dt: DeltaTable, name: str, version: int) -> pa.Table:
        try:
            return _plain(pa.table(dt.load_cdf(starting_version=version, ending_version=version).read_all()))
        except DeltaError as exc:
            raise SharingError(
                400,
                "INVALID_PARAMETER_VALUE",
                f"the change data feed of {name} at version {version} cannot be "
                f"read (not recorded then, or its files were vacuumed): {exc}",
            ) from None

    def _build(self, dt: DeltaTable, name: str, folder: Path, version: int) -> dict:
        feed = self._load(dt, name, version)
        info = {"version": version, "rows": feed.num_rows, "timestamp_ms": 0, "size": 0}
        if feed.num_rows:
            ts = feed["_commit_timestamp"][0].as_py()
            info["timestamp_ms"] = int(ts.timestamp() * 1000)
            data = feed.drop_columns(list(FEED_COLUMNS))
            path = folder / f"{version:020d}.parquet"
            _write_atomically(path, lambda p: pq.write_table(data, p))
            info["size"] = path.stat().st_size
        _write_atomically(
            folder / f"{version:020d}.json", lambda p: p.write_text(json.dumps(info))
        )  # written last: complete
        return info

    def files(self, dt: DeltaTable, name: str, start: int, end: int) -> list[ChangeFile]:
        """The change files of versions start..end (versions without changes have none)."""
        table_id = dt.metadata().id
        folder = self.root / table_id
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for version in range(start, end + 1):
            done = folder / f"{version:020d}.json"
            info = json.loads(done.read_text()) if done.is_file() else self._build(dt, name, folder, version)
            if info["rows"]:
                out.append(
                    ChangeFile(
                        version,
                        info["timestamp_ms"],
                        f"{table_id}/{version:020d}.parquet",
                        info["size"],
                        info["rows"],
                    )
                )
        return out
