"""Which data files make up a Delta table at a version, and what a load must change.

A partitioned table's data files do not hold its partition columns; their values are taken
from the Delta log per file and written as literals by the load (load_sql.py).

Why files and not rows: the curated tables are kept current by Delta MERGE, which rewrites
whole files; a file, once written, never changes (its name is a fresh UUID), and a version of
the table is exactly the set of its live (`add`) files. So the warehouse's copy of a table
is kept equal to that set: files live in the snapshot but not yet loaded are copied in (each
file once: Snowflake's COPY load history, our `curated._loaded_files` manifest), and the rows of
loaded files that left the snapshot (rewritten by a MERGE, compacted, deleted) are deleted.
Loading the same version twice finds nothing to add and nothing to remove.

Why not the change data feed: the curated tables do not enable it, and the copy need not
replay history; the snapshot's file list is in the Delta log even after old files are vacuumed,
and diffing it against what was loaded heals any gap (a missed version, a restored table).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from deltalake import DeltaTable

from platform_assets.errors import PlatformError

# Reader features that change which rows a data file holds; a plain file copy would be wrong.
UNSUPPORTED_READER_FEATURES = {"deletionVectors", "columnMapping"}


@dataclass(frozen=True)
class DeltaSnapshot:
    """The live data files of a Delta table at one version (paths relative to the table)."""

    table: str
    version: int
    uri: str  # the table root, as delta-rs opened it
    files: dict[str, int]  # relative path -> rows in the file
    # relative path -> partition values (a partitioned table's files do not hold them)
    partitions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def file_uri(self, path: str) -> str:
        """Where a data file is: a local path for a local table, else a URI."""
        root = self.uri.removeprefix("file://").rstrip("/")
        return f"{root}/{path}"


@dataclass(frozen=True)
class LoadPlan:
    snapshot: DeltaSnapshot
    add: tuple[str, ...]  # relative paths to copy in
    remove: tuple[str, ...]  # relative paths whose rows leave the warehouse copy

    @property
    def unchanged(self) -> bool:
        return not self.add and not self.remove

    @property
    def rows_added(self) -> int:
        return sum(self.snapshot.files[p] for p in self.add)


def snapshot_of(dt: DeltaTable, table: str) -> DeltaSnapshot:
    protocol = dt.protocol()
    features = set(protocol.reader_features or ())
    if features & UNSUPPORTED_READER_FEATURES:
        raise PlatformError(
            f"Delta table {table} uses Delta reader features "
            f"{sorted(features & UNSUPPORTED_READER_FEATURES)}; its data files cannot be copied "
            f"file by file — disable them on the table or load it through a Delta reader"
        )
    partition_columns = list(dt.metadata().partition_columns)
    actions = pa.table(dt.get_add_actions(flatten=True))
    paths = actions["path"].to_pylist()
    files = {p: int(n or 0) for p, n in zip(paths, actions["num_records"].to_pylist(), strict=True)}
    # the values of partition columns live in the Delta log, typed (`partition.<column>`)
    values = {c: actions[f"partition.{c}"].to_pylist() for c in partition_columns}
    partitions = (
        {p: {c: values[c][i] for c in partition_columns} for i, p in enumerate(paths)}
        if partition_columns
        else {}
    )
    return DeltaSnapshot(table, dt.version(), dt.table_uri, files, partitions)


def plan_load(snapshot: DeltaSnapshot, loaded: set[str]) -> LoadPlan:
    """The files to copy in and the files to drop so the warehouse copy equals the snapshot."""
    live = set(snapshot.files)
    return LoadPlan(snapshot, tuple(sorted(live - loaded)), tuple(sorted(loaded - live)))
