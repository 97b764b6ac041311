"""The warehouse's copies of the lake as Dagster assets: one per copied table, file by file.

`warehouse/curated/<table>` sits between the curated Delta asset and the dbt source of the same
table, so lineage is continuous and an eager condition carries a CDC apply from the lake into
the warehouse; `warehouse/events/events` does the same for the processed clickstream (the dbt
source `events`), so sessions and the funnel read the warehouse in every target. One subsettable
multi-asset: a run loads the selected tables under one load id.
"""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    AutomationCondition,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from platform_assets.contracts import CONTRACTS
from platform_assets.contracts.events import EVENTS
from platform_assets.orchestration.run_tags import is_cdc_run
from platform_assets.resources import LakeResource
from platform_assets.warehouse.keys import CURATED_SCHEMA, POOL, PREFIX, copy_key
from platform_assets.warehouse.load_sql import CopiedTable, curated_copy, events_copy
from platform_assets.warehouse.loader import CuratedLoader

GROUP = f"{PREFIX}_{CURATED_SCHEMA}"
# every copied table and its owner, by the copy's asset key
COPIES: dict[AssetKey, tuple[CopiedTable, str]] = {
    copy_key(t.schema, t.name): (t, owner)
    for t, owner in [
        *((curated_copy(c), c.owner) for c in CONTRACTS.values()),
        (events_copy(EVENTS), EVENTS.owner),
    ]
}


def _spec(key: AssetKey, t: CopiedTable, owner: str) -> AssetSpec:
    return AssetSpec(
        key,
        deps=[AssetKey([t.zone, t.name])],
        group_name=GROUP,
        owners=[owner],
        kinds={"sql"},
        automation_condition=AutomationCondition.eager(),
        skippable=True,
        description=f"{t.relation} in the warehouse: the live data files of the {t.zone} Delta "
        f"table {t.name}, each copied once "
        f"({'a Glue job' if t.load == 'glue' else 'COPY INTO'} on Snowflake).",
    )


def copies_asset(copies: dict[AssetKey, tuple[CopiedTable, str]], name: str = GROUP):
    """The multi-asset copying `copies` (the module's `COPIES`; tests build it over others)."""

    def spec(key: AssetKey) -> AssetSpec:
        return _spec(key, *copies[key])

    @multi_asset(specs=[spec(k) for k in copies], name=name, can_subset=True, pool=POOL)
    def warehouse_copies(context: AssetExecutionContext, lake: LakeResource, warehouse_loader: CuratedLoader):
        tables = [t for k, (t, _) in copies.items() if k in context.selected_asset_keys]
        keys = {t.relation: copy_key(t.schema, t.name) for t in tables}
        skip = is_cdc_run(context)
        for r in warehouse_loader.load(lake.lake(), tables, context=context):
            if skip and r.unchanged:
                context.log.info(f"{r.relation}: no new files in the lake; skipping what depends on it")
                continue
            yield MaterializeResult(
                asset_key=keys[r.relation],
                metadata={
                    "mode": "unchanged" if r.unchanged else "loaded",
                    "delta_version": r.delta_version,
                    "load_id": MetadataValue.int(r.load_id) if r.load_id else MetadataValue.null(),
                    "files_added": r.files_added,
                    "files_removed": r.files_removed,
                    "rows_added": r.rows_added,
                    "rows_removed": r.rows_removed,
                    "dagster/row_count": MetadataValue.int(r.rows),
                    **r.details,  # the Glue run, for a table loaded by Glue
                },
            )

    return warehouse_copies


warehouse_curated_copies = copies_asset(COPIES)
