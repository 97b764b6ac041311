"""Processed zone: one Delta table per contract table, the current state of the source."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    DefaultScheduleStatus,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    asset_check,
    define_asset_job,
)

from platform_assets.contracts import CONTRACTS, TableContract
from platform_assets.orchestration.run_tags import is_cdc_run
from platform_assets.processed.apply import apply_pending
from platform_assets.processed.compute.engine import ProcessedEngine
from platform_assets.processed.compute.report import (
    apply_metadata,
    apply_warnings,
    nothing_happened,
)
from platform_assets.processed.reconcile import reconcile
from platform_assets.resources import LakeResource, OltpResource


def processed_key(c: TableContract) -> AssetKey:
    return AssetKey(["processed", c.name])


def build_processed_asset(c: TableContract):
    @asset(
        key=processed_key(c),
        deps=[AssetKey(["raw", c.name])],
        group_name="processed",
        owners=[c.owner],
        kinds={"delta"},
        description=c.description,
        pool=f"delta_processed_{c.name}",  # never together with this table's maintenance
        metadata={"primary_key": c.key, "partitioned_by": f"_key_bucket ({c.key} // {c.key_bucket_size})"},
        output_required=False,
    )
    def _processed(context: AssetExecutionContext, lake: LakeResource, processed_engine: ProcessedEngine):
        # the engine is the profile's setting (compute/engine.py): in process or a Pipes job
        if processed_engine.in_process:
            the_lake = lake.lake()
            result = apply_pending(the_lake, c)
            for warning in apply_warnings(c, result):
                context.log.warning(warning)
            metadata = apply_metadata(the_lake, c, result)
        else:
            metadata = processed_engine.run_job(context, lake, c)
        if is_cdc_run(context) and nothing_happened(metadata):
            context.log.info(f"{c.name}: no raw files pending; skipping what depends on it")
            return
        yield MaterializeResult(
            metadata={k: MetadataValue.json(v) if isinstance(v, list) else v for k, v in metadata.items()}
        )

    return _processed


def build_reconciliation_check(c: TableContract):
    @asset_check(
        asset=processed_key(c),
        name="matches_postgres",
        blocking=False,
        description="Row count and a hash over all rows and columns equal Postgres's. "
        "Warns while changes are still in flight.",
    )
    def _check(lake: LakeResource, oltp: OltpResource) -> AssetCheckResult:
        with oltp.connect() as conn:
            r = reconcile(conn, lake.lake(), c)
        return AssetCheckResult(
            passed=r.matches,
            severity=AssetCheckSeverity.WARN,
            metadata={
                "postgres_rows": r.source_rows,
                "lake_rows": r.lake_rows,
                "postgres_hash": str(r.source_hash),
                "lake_hash": str(r.lake_hash),
                "differing_keys_sample": MetadataValue.json(r.differing_keys),
            },
        )

    return _check


processed_assets = [build_processed_asset(c) for c in CONTRACTS.values()]
processed_checks = [build_reconciliation_check(c) for c in CONTRACTS.values()]

# The reconciliation scans both sides in full, so the CDC runs leave it out (cdc_chain.py) and
# it runs here every quarter hour, and whenever someone materializes a processed table by hand.
reconcile_job = define_asset_job(
    "reconcile_with_postgres",
    selection=AssetSelection.checks(*processed_checks),
    description="Every processed table against Postgres: row count and a hash of all rows.",
)
reconcile_schedule = ScheduleDefinition(
    job=reconcile_job, cron_schedule="*/15 * * * *", default_status=DefaultScheduleStatus.RUNNING
)
