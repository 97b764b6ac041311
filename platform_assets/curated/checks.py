"""The curated zone's boundary checks: what crossed from processed arrived whole and in shape.

`matches_processed` on every curated table: its rows equal the processed table's at the
version it read (the `lakehouse.source_version` its refresh committed; deletes included), and
its columns and types are the contract's curated schema, in order. A failure blocks what
reads the table (the warehouse copy): a short or reshaped table is not passed on.
"""

from __future__ import annotations

import pyarrow as pa
from dagster import AssetCheckResult, AssetKey, MetadataValue, asset_check

from platform_assets.contracts import CONTRACTS, TableContract
from platform_assets.resources import LakeResource


def schema_differences(actual: pa.Schema, expected: pa.Schema) -> list[str]:
    """What differs, by column: missing, unexpected, other type, other order."""
    out = [f"missing: {n}" for n in expected.names if n not in actual.names]
    out += [f"unexpected: {n}" for n in actual.names if n not in expected.names]
    for f in actual:
        if f.name in expected.names and not expected.field(f.name).type.equals(f.type):
            out.append(f"{f.name}: {f.type}, contract says {expected.field(f.name).type}")
    if not out and actual.names != expected.names:
        out.append(f"column order {actual.names}, contract says {expected.names}")
    return out


def build_curated_check(c: TableContract):
    @asset_check(
        asset=AssetKey(["curated", c.name]),
        name="matches_processed",
        blocking=True,
        description="Rows equal the processed table's at the version the refresh read (deletes "
        "included); columns and types are the contract's curated schema.",
    )
    def _check(lake: LakeResource) -> AssetCheckResult:
        from deltalake import DeltaTable

        from platform_assets.curated.refresh import SOURCE_VERSION_KEY
        from platform_assets.storage.delta import committed_value, open_table

        the_lake = lake.lake()
        cur = open_table(the_lake, "curated", c.name)
        if cur is None:
            return AssetCheckResult(passed=False, metadata={"problem": "no curated Delta table"})
        read = int(committed_value(the_lake, cur, SOURCE_VERSION_KEY, "-1"))
        processed_rows = None
        if read >= 0:
            uri = the_lake.delta_uri("processed", c.name)
            at_read = DeltaTable(uri, version=read, storage_options=the_lake.storage_options)
            processed_rows = at_read.to_pyarrow_dataset().count_rows()
        curated_rows = cur.to_pyarrow_dataset().count_rows()
        differences = schema_differences(pa.schema(cur.schema().to_arrow()), c.curated_schema())
        return AssetCheckResult(
            passed=processed_rows == curated_rows and not differences,
            metadata={
                "curated_rows": curated_rows,
                "processed_rows": MetadataValue.int(processed_rows)
                if processed_rows is not None
                else MetadataValue.null(),
                "processed_version": read,
                "schema_differences": MetadataValue.json(differences),
            },
        )

    return _check


curated_checks = [build_curated_check(c) for c in CONTRACTS.values()]
