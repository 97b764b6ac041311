"""The raw zone's Dagster assets: one per contract table, produced by one replication step.

In the `local` profile the platform plays AWS DMS: a full load once, then CDC from the
`pgoutput` slot, both written in DMS's S3 format. One slot serves every table, so one
non-subsettable multi-asset materializes all raw tables together. In `prod` a real DMS task
writes the same files and these assets are external (see profile.py).
"""

import psycopg
from dagster import AssetExecutionContext, AssetSpec, MaterializeResult, multi_asset
from psycopg import sql

from platform_assets.contracts import CONTRACTS, TableContract
from platform_assets.errors import PlatformError
from platform_assets.raw.full_load import full_load
from platform_assets.resources import LakeResource, OltpResource

SLOT, PUBLICATION = "lakehouse", "lakehouse_pub"


def raw_spec(c: TableContract) -> AssetSpec:
    return AssetSpec(
        ["raw", c.name],
        group_name="raw",
        owners=[c.owner],
        kinds={"parquet"},
        description=f"{c.description} DMS-format full load and CDC files (raw/cdc/{c.schema}/{c.name}/).",
        metadata={"dms_prefix": f"raw/cdc/{c.schema}/{c.name}/"},
    )


def check_source_tables(conn: psycopg.Connection) -> None:
    """Every contract table exists in the source, or one error naming the first missing."""
    for c in CONTRACTS.values():
        name = sql.Identifier(c.schema, c.name).as_string(conn)  # to_regclass parses a quoted name
        if conn.execute("SELECT to_regclass(%s)", (name,)).fetchone()[0] is None:
            raise PlatformError(
                f"table {c.schema}.{c.name} does not exist in the OLTP database;"
                f" run `lakehouse oltp seed` (or create it) first"
            )


@multi_asset(
    specs=[raw_spec(c) for c in CONTRACTS.values()],
    name="dms_replication",
    can_subset=False,
    pool="cdc_capture",
)
def dms_replication(context: AssetExecutionContext, lake: LakeResource, oltp: OltpResource):
    """Full load of tables that have none yet, then one CDC capture batch."""
    from platform_assets.raw.cdc_capture.capture import capture_once
    from platform_assets.raw.cdc_capture.slot_record import ensure_recorded_replication

    the_lake = lake.lake()
    dsn = oltp.resolved_dsn()
    with psycopg.connect(dsn) as conn:
        check_source_tables(conn)
        ensure_recorded_replication(conn, the_lake, SLOT, PUBLICATION)  # a lost slot: an error
    loaded = full_load(dsn, the_lake, list(CONTRACTS.values()))
    captured = capture_once(dsn, the_lake, slot=SLOT, publication=PUBLICATION)
    context.log.info(
        f"full load: {loaded.rows or 'none needed'}; captured {sum(captured.changes.values())} changes"
    )
    for c in CONTRACTS.values():
        files = loaded.files.get(c.name, []) + [f for f in captured.files if f"/{c.schema}/{c.name}/" in f]
        yield MaterializeResult(
            asset_key=["raw", c.name],
            metadata={
                "full_load_rows": loaded.rows.get(c.name, 0),
                "cdc_changes": captured.changes.get(c.name, 0),
                "files_written": len(files),
                "last_file": files[-1] if files else "",
                "slot_lsn": captured.end_lsn or "",
            },
        )
