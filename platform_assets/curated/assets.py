"""Curated zone: conformed, PII-masked Delta tables that feed the warehouse and sharing."""

from dagster import AssetExecutionContext, AssetKey, AutomationCondition, MaterializeResult, asset

from platform_assets.contracts import CONTRACTS, TableContract
from platform_assets.curated.refresh import CuratedResult, refresh_curated
from platform_assets.lake import Lake
from platform_assets.orchestration.run_tags import is_cdc_run
from platform_assets.resources import LakeResource
from platform_assets.storage.delta import open_table


def build_curated_asset(c: TableContract):
    masked = [col.name for col in c.columns if col.pii]

    @asset(
        key=AssetKey(["curated", c.name]),
        deps=[AssetKey(["processed", c.name])],
        group_name="curated",
        owners=[c.owner],
        kinds={"delta"},
        description=f"{c.description} PII masked: {', '.join(masked) or 'none'}.",
        automation_condition=AutomationCondition.eager(),
        pool=f"delta_curated_{c.name}",  # never together with this table's maintenance
        output_required=False,
    )
    def _curated(context: AssetExecutionContext, lake: LakeResource):
        the_lake = lake.lake()
        r = refresh_curated(the_lake, c)
        if is_cdc_run(context) and r.mode == "unchanged":
            context.log.info(f"{c.name}: processed has not changed; skipping what depends on it")
            return
        yield MaterializeResult(metadata=curated_metadata(the_lake, c, r))

    return _curated


def curated_metadata(lake: Lake, c: TableContract, r: CuratedResult) -> dict:
    """What a refresh of `c` reports (the asset's materialization, the CDC stream's)."""
    return {
        "path": lake.delta_uri("curated", c.name),
        "delta_version": r.delta_version,
        "mode": r.mode,
        "rows_changed": r.rows_changed,
        "rows": open_table(lake, "curated", c.name).to_pyarrow_dataset().count_rows(),
        "processed_version": r.source_version,
        "pii_masked": ", ".join(col.name for col in c.columns if col.pii),
    }


curated_assets = [build_curated_asset(c) for c in CONTRACTS.values()]
