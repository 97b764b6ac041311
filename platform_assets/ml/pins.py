"""The pin store: which Delta versions registered models need, kept in the lake itself.

Each registered model version writes `<lake>/ml/_pins/<model>/v<version>.json` with its
dataset's pins (`{"curated.orders": 7, ...}`); MLflow's model version tags carry the same.
Maintenance reads this store (no MLflow import) to keep every pinned version readable:
`vacuum_floor_hours` is the retention a VACUUM of a table must keep so the files of its oldest
pinned version survive. Deleting a model version from the registry should delete its pin file;
until then VACUUM keeps its versions.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pyarrow.fs as pafs

from platform_assets.lake import Lake
from platform_assets.storage.delta_log import commit_info
from platform_assets.storage.files import write_bytes_atomic

PINS_FOLDER = ("ml", "_pins")


def pin_uri(lake: Lake, model: str, version: int) -> str:
    return lake.uri(*PINS_FOLDER, model, f"v{version}.json")


def write_pin(lake: Lake, model: str, version: int, record: dict) -> str:
    """Record a registered version's pins (`record["pins"]`) and where its dataset is."""
    uri = pin_uri(lake, model, version)
    body = {"model": model, "version": version, **record}
    write_bytes_atomic(lake, uri, json.dumps(body, indent=2, sort_keys=True).encode())
    return uri


def read_pins(lake: Lake) -> list[dict]:
    """Every pin record of every registered model version."""
    fs = lake.filesystem()
    infos = fs.get_file_info(
        pafs.FileSelector(lake.fs_path(lake.uri(*PINS_FOLDER)), recursive=True, allow_not_found=True)
    )
    records = []
    for info in sorted(infos, key=lambda i: i.path):
        if info.type == pafs.FileType.File and info.base_name.endswith(".json"):
            with fs.open_input_stream(info.path) as f:
                records.append(json.loads(f.read()))
    return records


def pinned_versions(lake: Lake, table: str) -> set[int]:
    """The versions of `table` (`curated.orders`) that some registered model needs."""
    return {int(r["pins"][table]) for r in read_pins(lake) if table in r.get("pins", {})}


def vacuum_floor_hours(lake: Lake, table: str, table_uri: str, now: datetime | None = None) -> int:
    """The least VACUUM retention (hours) that keeps every pinned version of the table readable.

    VACUUM deletes a file once its removal is older than the retention; a file a pinned version
    v reads is removed by version v+1 or later, so a retention reaching back past the commit of
    v+1 keeps them all (one hour of margin: a remove's timestamp can precede its commit's).
    0 when nothing is pinned or only the current version is.
    """
    now = now or datetime.now(UTC)
    floor = 0
    for version in pinned_versions(lake, table):
        info = commit_info(lake, table_uri, version + 1)
        if info is None or info.get("timestamp") is None:
            continue  # no later commit (the current version), or its log is gone
        removed_at = datetime.fromtimestamp(info["timestamp"] / 1000, UTC)
        floor = max(floor, math.ceil((now - removed_at).total_seconds() / 3600) + 1)
    return floor
