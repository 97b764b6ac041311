"""The first apply after a full load: the LOAD files appended in one commit, a batch at a time.

The fold (apply.py) reads every pending file and keeps the last change per key in memory:
for the full load of a large table that is the whole table at once, and then a MERGE into
an empty table. A full load needs no fold: it is one snapshot, one row per key, in files
ordered by key. So when a table has never applied anything (no data, no watermark, no
applied file) and every pending file is a LOAD file, the files are appended in ONE Delta
commit carrying the watermark, read one file at a time and handed to the writer in batches
of at most `APPEND_BATCH_ROWS` rows. Memory is bounded by a file, not by the table.

The same rules as the fold, checked first in a pass that reads one file at a time:
- a file that cannot be read goes to quarantine with its reason; schema drift stops the
  table (SchemaDriftError) before anything is written;
- keys unique in each file and key ranges disjoint across files (what a full load writes);
  files that break it (a LOAD file put there by hand) take the fold, which picks the last;
- the watermark is the greatest position of the appended changes, committed with the data;
  the applied log is written after the commit (apply.commit_folded's tail, shared).

Why staged: delta-rs's writer keeps one open file per partition until the end of a write, so a
single write of a whole table held every key-range partition's data (measured: +220 MiB per
1M rows). Each LOAD file is therefore written on its own into a scratch Delta table inside the
table's folder (`load-<id>/`, its partitions closed when that write ends), and the table then
commits all of those files in one transaction with the watermark (`create_write_transaction`,
each file's path, size, partition value and statistics copied from the scratch table's log).
A crash before that commit leaves the table as it was, and the scratch files unreferenced:
never read, and left on disk like the files of any write killed before its commit (the
maintenance job's VACUUM is delta-rs's "lite" mode, which deletes removed files only; a
`vacuum(full=True)` deletes them). The rerun stages again under a new id.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.transaction import AddAction, PostCommitHookProperties

from platform_assets import killpoints
from platform_assets.contracts import TableContract
from platform_assets.contracts.model import KEY_BUCKET_COLUMN
from platform_assets.lake import Lake
from platform_assets.processed.changes import with_key_bucket
from platform_assets.processed.delta import WATERMARK_KEY
from platform_assets.raw.dms_layout import RawFile
from platform_assets.raw.read import MalformedFile, read_changes
from platform_assets.storage.delta import STATS_COLUMNS_PROPERTY, writer_properties
from platform_assets.storage.files import delete_folder

APPEND = "append"  # ApplyResult.strategy of this write
# the scratch table's log is read whole, then deleted: no checkpoint, no log cleanup
NO_HOOKS = PostCommitHookProperties(create_checkpoint=False, cleanup_expired_logs=False)
# The largest batch handed to the Delta writer (rows); a file is read whole, then sliced.
APPEND_BATCH_ROWS = 100_000


@dataclass
class LoadPlan:
    """What the check pass found: the files to append, the quarantined ones with their
    reasons, the new (drift) columns, how many changes and the watermark to commit."""

    files: list[RawFile] = field(default_factory=list)
    quarantined: dict[str, str] = field(default_factory=dict)
    new_fields: list[pa.Field] = field(default_factory=list)  # drift columns, as the files have them
    changes: int = 0
    watermark: str = ""

    @property
    def new_columns(self) -> list[str]:
        return [f.name for f in self.new_fields]


def table_is_new(dt: DeltaTable, committed: str, done: set[str]) -> bool:
    """Nothing applied yet: no data file, no watermark, no applied file."""
    return not committed and not done and not dt.file_uris()


def plan_load(lake: Lake, c: TableContract, pending: list[RawFile]) -> LoadPlan | None:
    """Check the pending LOAD files one at a time; None when the append does not apply
    (not all LOAD files, or keys repeated within or across files)."""
    if not pending or any(f.kind != "load" for f in pending):
        return None
    plan, ranges = LoadPlan(), []
    for f in pending:
        try:
            changes, extra = read_changes(lake, c, f)
        except MalformedFile as exc:
            plan.quarantined[f.name] = str(exc)
            continue
        keys = changes[c.key]
        if changes.num_rows:
            if pc.count_distinct(keys).as_py() != changes.num_rows:
                return None
            low, high = pc.min_max(keys).values()
            ranges.append((low.as_py(), high.as_py()))
            plan.watermark = max(plan.watermark, pc.max(changes["_pos"]).as_py())
        plan.files.append(f)
        plan.changes += changes.num_rows
        plan.new_fields += [changes.schema.field(x) for x in extra if x not in plan.new_columns]
    ranges.sort()
    if any(later[0] <= earlier[1] for earlier, later in zip(ranges, ranges[1:], strict=False)):
        return None
    return plan


def _batches(
    lake: Lake, c: TableContract, files: list[RawFile], schema: pa.Schema
) -> Iterator[pa.RecordBatch]:
    for f in files:
        changes, _ = read_changes(lake, c, f)
        rows = with_key_bucket(changes.drop_columns(["_op", "_pos"]), c)
        for col in schema:  # columns the table has and this file lacks are null
            if col.name not in rows.column_names:
                rows = rows.append_column(col, pa.nulls(rows.num_rows, col.type))
        yield from rows.select(schema.names).cast(schema).to_batches(max_chunksize=APPEND_BATCH_ROWS)


def _staged_files(lake: Lake, staging_uri: str, log: str, folder: str) -> list[AddAction]:
    """The scratch table's files as the table's: every add of its log (`log`, a path of the
    lake's filesystem), the path under `folder`."""
    fs = lake.filesystem()
    adds = []
    for version in range(DeltaTable(staging_uri, storage_options=lake.storage_options).version() + 1):
        with fs.open_input_stream(f"{log}/{version:020d}.json") as f:
            actions = [json.loads(line) for line in f.read().decode().splitlines() if line.strip()]
        for a in (x["add"] for x in actions if "add" in x):
            adds.append(
                AddAction(
                    f"{folder}/{a['path']}",
                    a["size"],
                    a["partitionValues"],
                    a["modificationTime"],
                    True,
                    a.get("stats") or "",
                )
            )
    return adds


def append_load(lake: Lake, dt: DeltaTable, c: TableContract, plan: LoadPlan) -> dict:
    """Append the plan's files in one commit with the watermark, staged a LOAD file at a time
    (the module's docstring); MERGE-style metrics. No file to append (all quarantined): no
    commit."""
    if not plan.files:
        return {}
    schema = pa.schema(dt.schema().to_arrow())
    folder = f"load-{uuid.uuid4().hex}"
    stats = dt.metadata().configuration.get(STATS_COLUMNS_PROPERTY)
    staging_properties = {STATS_COLUMNS_PROPERTY: stats} if stats else None
    staging_uri = f"{dt.table_uri.rstrip('/')}/{folder}"
    for f in plan.files:
        write_deltalake(
            staging_uri,
            pa.RecordBatchReader.from_batches(schema, _batches(lake, c, [f], schema)),
            mode="append",
            partition_by=[KEY_BUCKET_COLUMN],
            writer_properties=writer_properties(dt),
            configuration=staging_properties,  # the staged files' log statistics: the table's
            storage_options=lake.storage_options,
            post_commithook_properties=NO_HOOKS,
        )
    log = f"{lake.fs_path(staging_uri.removeprefix('file://'))}/_delta_log"
    adds = _staged_files(lake, staging_uri, log, folder)
    delete_folder(lake, log)  # the files now belong to the table; the scratch log is no table
    killpoints.reached("apply.load_staged")
    dt.create_write_transaction(
        adds,
        mode="append",
        schema=dt.schema(),
        partition_by=dt.metadata().partition_columns,
        commit_properties=CommitProperties(custom_metadata={WATERMARK_KEY: plan.watermark}),
    )
    dt.update_incremental()
    return {"num_target_rows_inserted": plan.changes, "num_target_files_added": len(adds)}
