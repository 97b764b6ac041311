"""Conform processed rows to the curated contract: PII dropped or hashed, lineage kept.

E-mails are hashed as HMAC-SHA256 of the trimmed, lower-cased value with the platform's PII
key (curated/pii_key.py), so analysts can still count and join distinct customers without
seeing who they are, and nobody without the key can recompute a hash from a list of
addresses. Column names and which columns reach the curated zone come from the contract
(`Column.curated_name`); free text is classified there and dropped here.
"""

from __future__ import annotations

import hashlib
import hmac

import pyarrow as pa

from platform_assets.contracts import TableContract


def hmac_text(values: pa.ChunkedArray | pa.Array, key: bytes) -> pa.Array:
    """HMAC-SHA256 (hex) of each trimmed, lower-cased value; null stays null."""
    return pa.array(
        [
            None if v is None else hmac.new(key, v.strip().lower().encode(), hashlib.sha256).hexdigest()
            for v in values.to_pylist()
        ],
        pa.string(),
    )


def conform(rows: pa.Table, c: TableContract, key: bytes | None = None) -> pa.Table:
    """The curated rows of `rows`; `key` (curated/pii_key.py) is needed if `c` hashes a column."""
    schema = c.curated_schema()
    columns = {}
    for col in c.columns:
        if col.curated_name is None:
            continue
        if col.pii == "hash":
            if key is None:
                raise ValueError(f"{c.name}.{col.name} is hashed: conform needs the PII key")
            columns[col.curated_name] = hmac_text(rows[col.name], key)
        else:
            columns[col.name] = rows[col.name]
    columns["_commit_ts"] = rows["_commit_ts"]
    return pa.table(columns).cast(schema)
