"""`metadata/contracts`: every contract published to the metadata store, as an asset.

Materializing it after a deployment publishes changed contracts as new schema versions;
their changes then reach the contract-change sensor through the store's change stream.
"""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from platform_assets.metadata.publish import publish_contracts
from platform_assets.metadata.resources import MetadataStoreResource


@asset(
    key=["metadata", "contracts"],
    group_name="metadata",
    kinds={"dynamodb", "sqlite"},
    owners=["team:data-platform"],
    description="Table and event contracts, dataset descriptions and owners, published "
    "to the metadata store (a new schema version for each changed contract).",
)
def published_contracts(
    context: AssetExecutionContext, metadata_store: MetadataStoreResource
) -> MaterializeResult:
    published = publish_contracts(metadata_store.store())
    changed = sorted(name for name, (_, was_changed) in published.items() if was_changed)
    if changed:
        context.log.info(f"published new schema versions of {changed}")
    return MaterializeResult(
        metadata={
            "contracts": len(published),
            "changed": MetadataValue.json(changed),
            "schema_versions": MetadataValue.json({n: v for n, (v, _) in published.items()}),
        }
    )
