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
# by maintenance commits; audit keys describe only the commit that has them
CUSTOM_PREFIX = "lakehouse."
AUDIT_PREFIX = "lakehouse.audit."
# marks a commit whose state keys are a copy (maintenance), naming the version they were read at
CARRIED_FROM_KEY = "lakehouse.carried_from"


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
            info = action["commitInfo"]
            return {**_user_metadata_keys(info), **info, "version": version}
    return {"version": version}


def _user_metadata_keys(info: dict) -> dict:
    """Delta on Spark (Databricks) cannot add top-level commitInfo keys; the Spark job puts
    the platform's keys in `userMetadata` as a JSON object (processed/compute/spark_sql.py)."""
    try:
        meta = json.loads(info.get("userMetadata") or "{}")
    except (TypeError, ValueError):
        return {}  # someone else's free text
    if not isinstance(meta, dict):
        return {}
    return {k: v for k, v in meta.items() if isinstance(k, str) and k.startswith(CUSTOM_PREFIX)}


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


def state_keys(info: dict) -> dict[str, str]:
    """The platform's state keys of one commit (not audit keys, not the carried marker)."""
    return {
        k: str(v)
        for k, v in info.items()
        if k.startswith(CUSTOM_PREFIX) and not k.startswith(AUDIT_PREFIX) and k != CARRIED_FROM_KEY
    }


def custom_values(lake: Lake, table_uri: str, at_version: int, scan: int = 200) -> dict[str, str]:
    """The platform's state keys (`lakehouse.*`) as of a version. The one rule every reader
    uses (processed/delta.py `committed_value` too), so state never goes backwards:

    - A commit that writes state itself (an apply, a refresh, a restore, which resets it on
      purpose) writes all of a table's state keys together; the newest such commit wins.
    - A maintenance commit carries a copy, marked with the version it read
      (`lakehouse.carried_from`). A writer may commit between that read and the maintenance
      commit, so a copy never overrides a state-writing commit: the scan goes on below it.
    - Copies serve when the state-writing commits are out of reach (log cleanup after a
      checkpoint, or more than `scan` commits back); then the copy read at the newest version
      wins. Once the scan passes that version, nothing below it can be newer than the copy.
    """
    best: tuple[int, dict[str, str]] | None = None  # (version read at, copied state)
    for info in commit_infos(lake, table_uri, at_version, scan):
        if best is not None and info["version"] <= best[0]:
            break
        if not (found := state_keys(info)):
            continue
        if CARRIED_FROM_KEY not in info:
            return found
        carried_from = int(info[CARRIED_FROM_KEY])
        if best is None or carried_from > best[0]:
            best = (carried_from, found)
    return best[1] if best else {}


def carried_state(lake: Lake, table_uri: str, read_version: int) -> dict[str, str]:
    """Commit properties for a maintenance commit: the state as of the version it read,
    marked as a copy (see `custom_values`). Empty for a table without state keys."""
    state = custom_values(lake, table_uri, read_version)
    return {**state, CARRIED_FROM_KEY: str(read_version)} if state else {}
