"""Registering the lake's tables as a Dagster asset, and a crawler-like sensor for schema changes.

Why an asset downstream of every Delta table: the main job (which selects everything) registers
the tables it just built, and the lineage graph shows the catalog depends on them. Why not
eager on every upstream materialization: CDC materializes tables every few seconds, while the
catalog only changes when a schema does; the sensor compares each table's Delta schema with
its registered entry (like a Glue crawler, without scanning data) and requests a run then.
"""

import hashlib

from dagster import (
    AssetExecutionContext,
    AssetKey,
    DefaultSensorStatus,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    asset,
    sensor,
)

from platform_assets.catalog.base import Catalog
from platform_assets.catalog.describe import describe_table
from platform_assets.catalog.resource import CatalogResource
from platform_assets.lake import Lake
from platform_assets.resources import LakeResource
from platform_assets.tables.refs import delta_tables

CATALOG_KEY = AssetKey(["catalog", "lake_tables"])


def register_all(lake: Lake, catalog: Catalog, prefix: str) -> dict[str, dict]:
    """Register every existing Delta table (processed, curated, the processed clickstream);
    what happened to each."""
    out: dict[str, dict] = {}
    for ref in delta_tables():
        entry = describe_table(lake, ref, prefix)
        if entry is None:
            out[str(ref)] = {"outcome": "not built yet"}
            continue
        out[str(ref)] = {
            "outcome": catalog.register(entry),
            "database": entry.database,
            "location": entry.location,
            "columns": len(entry.columns),
            "partition_keys": [k.name for k in entry.partition_keys],
        }
    return out


def stale_tables(lake: Lake, catalog: Catalog, prefix: str) -> dict[str, str]:
    """Tables whose Delta schema (or location, keys) differs from their catalog entry, or that
    are not registered: table -> the fingerprint they should have."""
    stale = {}
    for ref in delta_tables():
        entry = describe_table(lake, ref, prefix)
        if entry is None:
            continue
        expected = entry.with_fingerprint().registered_fingerprint
        registered = catalog.get_table(entry.database, entry.name)
        if registered is None or registered.registered_fingerprint != expected:
            stale[str(ref)] = expected
    return stale


@asset(
    key=CATALOG_KEY,
    deps=[AssetKey(r.key_path) for r in delta_tables()],
    group_name="catalog",
    description="Every processed and curated Delta table and the processed clickstream "
    "registered in the catalog (local SQLite or AWS Glue): location, schema, "
    "partition keys, table type.",
)
def catalog_tables(
    context: AssetExecutionContext, lake: LakeResource, catalog: CatalogResource
) -> MaterializeResult:
    result = register_all(lake.lake(), catalog.catalog(), catalog.database_prefix)
    by_outcome: dict[str, list[str]] = {}
    for table, r in result.items():
        by_outcome.setdefault(r["outcome"], []).append(table)
    context.log.info(", ".join(f"{k}: {len(v)}" for k, v in sorted(by_outcome.items())))
    return MaterializeResult(
        metadata={
            "catalog": catalog.kind,
            "tables_registered": sum(1 for r in result.values() if "database" in r),
            "created": MetadataValue.json(by_outcome.get("created", [])),
            "updated": MetadataValue.json(by_outcome.get("updated", [])),
            "not_built_yet": MetadataValue.json(by_outcome.get("not built yet", [])),
            "tables": MetadataValue.json(result),
        }
    )


@sensor(
    name="catalog_schema_sensor",
    minimum_interval_seconds=300,
    asset_selection=[CATALOG_KEY],
    default_status=DefaultSensorStatus.RUNNING,
    description="Crawler-like: requests a catalog update when a Delta table's schema no "
    "longer matches its catalog entry (or a new table is not registered).",
)
def catalog_schema_sensor(context: SensorEvaluationContext, lake: LakeResource, catalog: CatalogResource):
    stale = stale_tables(lake.lake(), catalog.catalog(), catalog.database_prefix)
    if not stale:
        return SkipReason("every table's catalog entry matches its Delta schema")
    # the run key names the schemas to register: the same change never launches twice
    state = ";".join(f"{t}={fp}" for t, fp in sorted(stale.items()))
    return RunRequest(
        run_key=hashlib.sha256(state.encode()).hexdigest()[:24],
        asset_selection=[CATALOG_KEY],
        tags={"lakehouse/trigger": "schema_change", "lakehouse/tables": ",".join(sorted(stale))[:200]},
    )


catalog_assets = [catalog_tables]
catalog_sensors = [catalog_schema_sensor]
