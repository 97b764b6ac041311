"""The Delta log's commit records, read straight from `_delta_log/*.json`.

Why not `DeltaTable.history()`: it hangs against some S3 implementations (moto), and we need
the commit info of one given version (the custom `lakehouse.*` keys as of a past version) which
history() only gives by reading everything newer. Reading the JSON through the lake's pyarrow
filesystem works on a folder and on S3 alike.
"""

from __future__ import annotations

import json

from platform_assets.lake import Lake

# commit keys the platform writes itself: state (watermark, source version) is carried forward
# by maintenance and restore commits; audit keys describe only the commit that has them
CUSTOM_PREFIX = "lakehouse."
AUDIT_PREFIX = "lakehouse.audit."


def commit_info(lake: Lake, table_uri: str, version: int) -> dict | None:
    """The commitInfo action of one version, or None if its log file is gone (log cleanup)."""
    path = f"{lake.fs_path(table_uri)}/_delta_log/{version:020d}.json"
    try:
        with lake.filesystem().open_input_stream(path) as f:
            text = f.read().decode()
    except (FileNotFoundError, OSError):
        return None
    for line in text.splitlines():
        if line.strip() and "commitInfo" in (action := json.loads(line)):
            return {**action["commitInfo"], "version": version}
    return {"version": version}


def commit_infos(lake: Lake, table_uri: str, newest: int, limit: int | None = None) -> list[dict]:
    """Commit infos from `newest` down to version 0 (or `limit` of them), newest first."""
    out: list[dict] = []
    for version in range(newest, -1, -1):
        if limit is not None and len(out) >= limit:
            break
        info = commit_info(lake, table_uri, version)
        if info is None:
            break  # older log files were cleaned up after a checkpoint
        out.append(info)
    return out


def custom_values(lake: Lake, table_uri: str, at_version: int, scan: int = 200) -> dict[str, str]:
    """The platform's state keys (`lakehouse.*`, not audit keys) as of a version: those of the
    newest commit at or before it that carries any (data commits write all of a table's state
    keys together, and maintenance and restore commits carry them forward).

    This is what lets readers that look for the newest commit with a key (processed/delta.py
    `committed_value`) see the right value after maintenance or a restore.
    """
    for info in commit_infos(lake, table_uri, at_version, scan):
        found = {k: str(v) for k, v in info.items()
                 if k.startswith(CUSTOM_PREFIX) and not k.startswith(AUDIT_PREFIX)}
        if found:
            return found
    return {}
