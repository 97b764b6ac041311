"""Conform processed rows to the curated contract: PII dropped or hashed, lineage kept.

E-mails are hashed as SHA-256 of the trimmed, lower-cased value, so analysts can still count
and join distinct customers without seeing who they are.
"""

from __future__ import annotations

import hashlib

import pyarrow as pa

from platform_assets.contracts import TableContract


def sha256_text(values: pa.ChunkedArray) -> pa.Array:
    return pa.array(
        [None if v is None else hashlib.sha256(v.strip().lower().encode()).hexdigest()
         for v in values.to_pylist()], pa.string())


def conform(rows: pa.Table, c: TableContract) -> pa.Table:
    schema = c.curated_schema()
    columns = {}
    for col in c.columns:
        if col.pii == "drop":
            continue
        if col.pii == "hash":
            columns[f"{col.name}_sha256"] = sha256_text(rows[col.name])
        else:
            columns[col.name] = rows[col.name]
    columns["_commit_ts"] = rows["_commit_ts"]
    return pa.table(columns).cast(schema)
