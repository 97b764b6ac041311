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
from platform_assets.processed.delta import open_table
from platform_assets.processed.reconcile import reconcile
from platform_assets.raw.files import list_quarantined
from platform_assets.resources import LakeResource, OltpResource


def processed_key(c: TableContract) -> AssetKey:
    return AssetKey(["processed", c.name])


def build_processed_asset(c: TableContract):
    @asset(key=processed_key(c), deps=[AssetKey(["raw", c.name])], group_name="processed",
           owners=[c.owner], kinds={"delta"}, description=c.description,
           pool=f"delta_processed_{c.name}",  # never together with this table's maintenance
           metadata={"primary_key": c.key, "partitioned_by": "_key_bucket "
                     f"({c.key} // {c.key_bucket_size})"},
           output_required=False)
    def _processed(context: AssetExecutionContext, lake: LakeResource):
        the_lake = lake.lake()
        result = apply_pending(the_lake, c)
        if result.files_unrecognized:  # left where they are, and said so on every run
            context.log.warning(
                f"{c.name}: {len(result.files_unrecognized)} names in the raw folder are not DMS "
                f"files and were not read: {result.files_unrecognized[:20]}")
        if is_cdc_run(context) and not (result.files_applied or result.files_quarantined):
            context.log.info(f"{c.name}: no raw files pending; skipping what depends on it")
            return
        for name, reason in result.files_quarantined.items():
            context.log.warning(f"{c.name}: quarantined {name}: {reason}")
        if result.new_columns:
            context.log.warning(f"{c.name}: columns not in the contract were added to the "
                                f"Delta table: {result.new_columns}; add them to the contract")
        m = result.merge_metrics
        dt = open_table(the_lake, "processed", c.name)
        yield MaterializeResult(metadata={
            "path": the_lake.delta_uri("processed", c.name),
            "delta_version": result.delta_version,
            "rows": dt.to_pyarrow_dataset().count_rows(),
            "files_applied": len(result.files_applied),
            "changes_read": result.changes_read,
            "rows_inserted": m.get("num_target_rows_inserted", 0),
            "rows_updated": m.get("num_target_rows_updated", 0),
            "rows_deleted": m.get("num_target_rows_deleted", 0),
            "rows_rewritten": m.get("num_target_rows_copied", 0),
            "data_files_rewritten": m.get("num_target_files_removed", 0),
            "late_or_repeated_keys_recomputed": result.recomputed_keys,
            "files_quarantined_now": len(result.files_quarantined),
            "files_in_quarantine": len(list_quarantined(the_lake, c.schema, c.name)),
            "files_unrecognized": len(result.files_unrecognized),
            "files_unrecognized_names": MetadataValue.json(result.files_unrecognized[:100]),
            "schema_drift_new_columns": MetadataValue.json(result.new_columns),
            "watermark": result.watermark,
        })

    return _processed


def build_reconciliation_check(c: TableContract):
    @asset_check(asset=processed_key(c), name="matches_postgres", blocking=False,
                 description="Row count and a hash over all rows and columns equal Postgres's. "
                             "Warns while changes are still in flight.")
    def _check(lake: LakeResource, oltp: OltpResource) -> AssetCheckResult:
        with oltp.connect() as conn:
            r = reconcile(conn, lake.lake(), c)
        return AssetCheckResult(passed=r.matches, severity=AssetCheckSeverity.WARN, metadata={
            "postgres_rows": r.source_rows, "lake_rows": r.lake_rows,
            "postgres_hash": str(r.source_hash), "lake_hash": str(r.lake_hash),
            "differing_keys_sample": MetadataValue.json(r.differing_keys)})

    return _check


processed_assets = [build_processed_asset(c) for c in CONTRACTS.values()]
processed_checks = [build_reconciliation_check(c) for c in CONTRACTS.values()]

# The reconciliation scans both sides in full, so the CDC runs leave it out (cdc_chain.py) and
# it runs here every quarter hour, and whenever someone materializes a processed table by hand.
reconcile_job = define_asset_job(
    "reconcile_with_postgres", selection=AssetSelection.checks(*processed_checks),
    description="Every processed table against Postgres: row count and a hash of all rows.")
reconcile_schedule = ScheduleDefinition(
    job=reconcile_job, cron_schedule="*/15 * * * *", default_status=DefaultScheduleStatus.RUNNING)
