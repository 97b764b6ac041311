"""Describe a Delta table for the catalog: types from its Delta log, meaning from its contract.

Why both: the Delta log is the truth about what is stored (including columns added by schema
evolution that the contract does not know yet); the contract adds descriptions, PII flags,
owner and keys that no file format carries.
"""

from __future__ import annotations

import json

from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from platform_assets.catalog.hive_types import hive_type
from platform_assets.catalog.model import CatalogColumn, CatalogTable
from platform_assets.contracts import TableContract
from platform_assets.contracts.events import DERIVED_DOCS, EventContract
from platform_assets.contracts.model import KEY_BUCKET_COLUMN
from platform_assets.lake import Lake
from platform_assets.tables.refs import TableRef

LINEAGE = {
    "_commit_ts": "Source commit time of the last change, when the raw file carries it.",
    KEY_BUCKET_COLUMN: "Key-range partition: the primary key divided by the bucket size.",
}
COMMENT_MAX = 255  # Glue's limit for a column comment


def _column_notes(c: TableContract | EventContract, zone: str) -> dict[str, tuple[str, dict[str, str]]]:
    notes: dict[str, tuple[str, dict[str, str]]] = {}
    if isinstance(c, EventContract):  # no personal data; the platform adds derived columns
        return {
            **{f.name: (f.description, {}) for f in c.fields},
            **{name: (text, {}) for name, _, text in DERIVED_DOCS},
        }
    for col in c.columns:
        name = col.curated_name if zone == "curated" else col.name
        if name is None:
            continue  # dropped on the way (PII, free text)
        text = col.curated_description if zone == "curated" else col.description
        if col.pii and zone == "processed":
            notes[name] = (text, {"pii": col.pii})
        else:
            notes[name] = (text, {"pii": col.pii_tag} if col.pii else {})
    return notes


def database_name(prefix: str, zone: str) -> str:
    return f"{prefix}{zone}"


def describe_table(lake: Lake, ref: TableRef, prefix: str = "lakehouse_") -> CatalogTable | None:
    """The catalog entry of a Delta table, or None if the table does not exist yet."""
    try:
        dt = DeltaTable(ref.uri(lake), storage_options=lake.storage_options)
    except TableNotFoundError:
        return None
    c = ref.declaration
    clustering = c.clustering if isinstance(c, TableContract) else ()  # events: by date only
    notes = _column_notes(c, ref.zone)
    partitions = list(dt.metadata().partition_columns)
    columns, keys = [], []
    for f in json.loads(dt.schema().to_json())["fields"]:
        comment, params = notes.get(f["name"], (LINEAGE.get(f["name"], ""), {}))
        if f["name"] not in notes and f["name"] not in LINEAGE:
            params = {"not_in_contract": "true"}  # added by schema evolution
        col = CatalogColumn(f["name"], hive_type(f["type"]), comment[:COMMENT_MAX], params)
        (keys if f["name"] in partitions else columns).append(col)
    keys.sort(key=lambda k: partitions.index(k.name))
    return CatalogTable(
        database=database_name(prefix, ref.zone),
        name=c.name,
        location=ref.uri(lake),
        columns=tuple(columns),
        partition_keys=tuple(keys),
        description=c.description,
        owner=c.owner,
        parameters={
            "table_type": "DELTA",
            "classification": "delta",
            "EXTERNAL": "TRUE",
            "spark.sql.sources.provider": "delta",
            "lakehouse.zone": ref.zone,
            "lakehouse.primary_key": c.key,
            "lakehouse.clustering": ",".join(clustering),
        },
    )
