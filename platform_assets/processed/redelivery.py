"""Refuse CDC files without `_change_seq` that repeat changes an earlier file delivered.

Without a sequence, a change's position ends with its file and row (raw/positions.py), so a
file DMS resends under a new name (after a task restart, say) would look like new changes
and could undo later ones. Such changes are recognized by key and commit time: two commits
that change one key never share a commit time (the row lock serializes them), so a (key,
commit time) found in two files is one transaction delivered twice. The later-named file is
quarantined, naming the file it repeats; with `_change_seq` a repeat gets its original
position and needs no refusal. (One transaction that DMS split over two files and that
changed a key in both looks the same and is refused too: the reason says what to check.)

Cost: only when a pending CDC file lacks `_change_seq`, the earlier CDC files are read.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from platform_assets.contracts import TableContract
from platform_assets.raw import positions
from platform_assets.raw.dms_layout import CHANGE_SEQ_COLUMN, RawFile


def repeated_files(
    c: TableContract, files: list[RawFile], pending: dict[str, pa.Table], read: Callable[[RawFile], pa.Table]
) -> dict[str, str]:
    """{file name: reason} for pending CDC files without `_change_seq` that repeat a (key,
    commit time) of a file sorting before them. `files` is the table's listing in order."""
    cdc = [f for f in files if f.kind == "cdc"]
    rank = {f.name: i for i, f in enumerate(cdc)}
    suspects = [
        f
        for f in cdc
        if f.name in pending and pc.any(positions.is_file_ordered(pending[f.name]["_pos"])).as_py()
    ]
    if not suspects:
        return {}
    keys = pc.unique(pa.chunked_array([pending[f.name][c.key] for f in suspects]))
    seen = []
    for f in cdc[: rank[suspects[-1].name] + 1]:
        changes = pending[f.name] if f.name in pending else read(f)
        mine = changes.filter(pc.is_in(changes[c.key], keys)).select([c.key, "_commit_ts"])
        seen.append(mine.append_column("rank", pa.array([rank[f.name]] * mine.num_rows, pa.int64())))
    first_seen = pa.concat_tables(seen).group_by([c.key, "_commit_ts"]).aggregate([("rank", "min")])
    refused = {}
    for f in suspects:
        own = pending[f.name].select([c.key, "_commit_ts"])
        hits = own.join(first_seen, [c.key, "_commit_ts"]).filter(pc.less(pc.field("rank_min"), rank[f.name]))
        if hits.num_rows:
            earlier = cdc[hits["rank_min"][0].as_py()].name
            key, ts = hits[c.key][0].as_py(), hits["_commit_ts"][0].as_py()
            refused[f.name] = (
                f"{f.name} has no {CHANGE_SEQ_COLUMN!r} and repeats {hits.num_rows} changes "
                f"of {earlier} (first: key {key} committed at {ts.isoformat()}): a redelivery "
                f"that cannot be ordered against later changes. Add the {CHANGE_SEQ_COLUMN} "
                f"rule to the DMS task (README). If it holds new changes (one transaction "
                f"split over both files), remove what {earlier} already has and put it back"
            )
    return refused
