"""The warehouse's `curated` schema as Dagster assets: one per curated table, copied file by file.

`warehouse/curated/<table>` sits between the curated Delta asset and the dbt source of the same
table, so lineage is continuous and an eager condition carries a CDC apply from the lake into
the warehouse. One subsettable multi-asset: a run loads the selected tables under one load id.
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
from platform_assets.orchestration.run_tags import is_cdc_run
from platform_assets.resources import LakeResource
from platform_assets.warehouse.keys import CURATED_SCHEMA, POOL, PREFIX, curated_copy_key
from platform_assets.warehouse.loader import CuratedLoader

GROUP = f"{PREFIX}_{CURATED_SCHEMA}"


def _spec(name: str) -> AssetSpec:
    c = CONTRACTS[name]
    return AssetSpec(
        curated_copy_key(name), deps=[AssetKey(["curated", name])], group_name=GROUP,
        owners=[c.owner], kinds={"sql"},
        automation_condition=AutomationCondition.eager(), skippable=True,
        description=f"{CURATED_SCHEMA}.{name} in the warehouse: the live data files of the curated Delta "
                    f"table {name}, each copied once (COPY INTO on Snowflake).")


@multi_asset(specs=[_spec(n) for n in CONTRACTS], name=GROUP, can_subset=True,
             pool=POOL)
def warehouse_curated_copies(context: AssetExecutionContext, lake: LakeResource,
                             warehouse_loader: CuratedLoader):
    names = [k.path[-1] for k in context.selected_asset_keys]
    skip = is_cdc_run(context)
    for r in warehouse_loader.load(lake.lake(), [CONTRACTS[n] for n in names]):
        if skip and r.unchanged:
            context.log.info(f"{CURATED_SCHEMA}.{r.table}: no new curated files; skipping what depends on it")
            continue
        yield MaterializeResult(asset_key=curated_copy_key(r.table), metadata={
            "mode": "unchanged" if r.unchanged else "loaded",
            "delta_version": r.delta_version,
            "load_id": MetadataValue.int(r.load_id) if r.load_id else MetadataValue.null(),
            "files_added": r.files_added, "files_removed": r.files_removed,
            "rows_added": r.rows_added, "rows_removed": r.rows_removed,
            "dagster/row_count": MetadataValue.int(r.rows),
        })
