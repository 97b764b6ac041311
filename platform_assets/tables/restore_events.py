"""Every restore is an event on the restored asset, wherever it ran (the job or the CLI).

The restore job logs these through its run; the CLI reports them to the Dagster instance
named by DAGSTER_HOME (the one `make dev` uses), so the asset's history, lineage, automation
and pinned readers (tables/pinning.py reads `delta_version`) all see the rollback.
"""

from __future__ import annotations

import os

from dagster import AssetKey, AssetMaterialization, DagsterInstance
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from platform_assets.lake import Lake
from platform_assets.tables.audit import RestoreRecord
from platform_assets.tables.refs import TableRef


def restore_materializations(lake: Lake, record: RestoreRecord) -> list[AssetMaterialization]:
    """The restored table's materialization and, for a processed table, its rebuilt curated
    table's."""
    ref = TableRef.parse(record.table)
    events = [
        AssetMaterialization(
            asset_key=AssetKey(ref.key_path),
            metadata={
                "delta_version": record.new_version,
                "restored_to_version": record.to_version,
                "restored_from_version": record.from_version,
                "restored_by": record.who,
                "reason": record.why,
                "raw_files_rolled_back": record.applied_files_rewound,
            },
            description=f"restored to version {record.to_version} by {record.who}: {record.why}",
        )
    ]
    if ref.zone == "processed":
        curated = TableRef("curated", ref.name)
        try:
            version = DeltaTable(curated.uri(lake), storage_options=lake.storage_options).version()
        except TableNotFoundError:
            return events
        events.append(
            AssetMaterialization(
                asset_key=AssetKey(curated.key_path),
                metadata={"delta_version": version, "rebuilt_after_restore_of": str(ref)},
            )
        )
    return events


def report_restore(lake: Lake, record: RestoreRecord, instance: DagsterInstance | None = None) -> bool:
    """Report a restore made outside a run to the Dagster instance (DAGSTER_HOME's, unless
    one is given). False when there is none to report to."""
    if instance is None:
        if not os.environ.get("DAGSTER_HOME"):
            return False
        with DagsterInstance.get() as own:
            return report_restore(lake, record, own)
    for event in restore_materializations(lake, record):
        instance.report_runless_asset_event(event)
    return True
