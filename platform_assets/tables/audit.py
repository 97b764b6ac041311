"""The restore audit trail: an append-only Delta table `_audit/restores` beside the zones.

Why a Delta table: it lives with the data it describes (local folder or S3), survives the
Dagster instance, and is queryable by the same engines as the lake. The restore commit also
carries who and why in its commit info, so the Delta log alone tells the story too.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from platform_assets.lake import Lake

SCHEMA = pa.schema(
    [
        ("restored_at", pa.timestamp("us", tz="UTC")),
        ("table", pa.string()),
        ("from_version", pa.int64()),
        ("to_version", pa.int64()),
        ("new_version", pa.int64()),
        ("who", pa.string()),
        ("why", pa.string()),
        ("run_id", pa.string()),
        ("files_removed", pa.int64()),
        ("files_restored", pa.int64()),
        ("applied_files_rewound", pa.int64()),
    ]
)
# Dagster run tags that name the person behind a run, most specific first
WHO_TAGS = ("lakehouse/requested_by", "dagster/user", "user")


@dataclass(frozen=True)
class RestoreRecord:
    restored_at: datetime
    table: str
    from_version: int  # the version that was current before the restore
    to_version: int  # the version whose state was restored
    new_version: int  # the RESTORE commit
    who: str
    why: str
    run_id: str
    files_removed: int
    files_restored: int
    applied_files_rewound: int  # raw files the restore logged rolled_back (held until reapply)


def audit_uri(lake: Lake) -> str:
    return lake.uri("_audit", "restores")


def append(lake: Lake, record: RestoreRecord) -> None:
    row = {k: [v] for k, v in asdict(record).items()}
    write_deltalake(
        audit_uri(lake), pa.table(row, schema=SCHEMA), mode="append", storage_options=lake.storage_options
    )


def restores(lake: Lake) -> list[dict]:
    """Every recorded restore, oldest first."""
    try:
        dt = DeltaTable(audit_uri(lake), storage_options=lake.storage_options)
    except TableNotFoundError:
        return []
    return dt.to_pyarrow_table().sort_by("restored_at").to_pylist()


def who_am_i(tags: Mapping[str, str] | None = None) -> str:
    """The person behind a restore: a run tag if there is one, else the OS user."""
    for tag in WHO_TAGS:
        if tags and tags.get(tag):
            return tags[tag]
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
