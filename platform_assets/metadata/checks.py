"""`matches_contract`: does a processed Delta table hold the columns its published contract says?

Why against the store, not the code: the store is what consumers read and what changes on
the change stream; when a contract is published with a new column or type, this check on the
affected tables turns red until the tables follow (the contract-change sensor runs it).
"""

from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, MetadataValue, asset_check
from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from platform_assets.contracts import CONTRACTS
from platform_assets.contracts.events import EVENTS
from platform_assets.metadata.resources import MetadataStoreResource
from platform_assets.resources import LakeResource

CHECK_NAME = "matches_contract"
# logical type -> Delta primitive type name
DELTA_TYPES = {
    "bigint": "long",
    "int": "integer",
    "text": "string",
    "boolean": "boolean",
    "date": "date",
    "timestamptz": "timestamp",
    "money": "decimal(12,2)",
    "double": "double",
}


def delta_columns(dt: DeltaTable) -> dict[str, str]:
    return {f.name: getattr(f.type, "type", str(f.type)) for f in dt.schema().fields}


def compare(doc: dict, columns: dict[str, str]) -> dict[str, list]:
    """Differences between a contract document's columns and a Delta table's."""
    missing, mismatched = [], []
    for col in doc["contract"]["columns"]:
        want = DELTA_TYPES.get(col["type"], col["type"])
        have = columns.get(col["name"])
        if have is None:
            missing.append(col["name"])
        elif have.replace(" ", "") != want:
            mismatched.append(f"{col['name']}: table {have}, contract {want}")
    return {"missing_columns": missing, "type_mismatches": mismatched}


def check_dataset(lake, store, contract: str, dataset: str) -> AssetCheckResult:
    doc = store.contract(contract)
    if doc is None:
        return AssetCheckResult(
            passed=False,
            severity=AssetCheckSeverity.WARN,
            metadata={"reason": f"contract {contract!r} is not published to the metadata store"},
        )
    try:
        dt = DeltaTable(lake.uri(*dataset.split("/")), storage_options=lake.storage_options)
    except TableNotFoundError:
        return AssetCheckResult(
            passed=True, metadata={"reason": "table not created yet", "schema_version": doc["schema_version"]}
        )
    diff = compare(doc, delta_columns(dt))
    return AssetCheckResult(
        passed=not any(diff.values()),
        severity=AssetCheckSeverity.WARN,
        metadata={
            "schema_version": doc["schema_version"],
            "fingerprint": doc["fingerprint"],
            "missing_columns": MetadataValue.json(diff["missing_columns"]),
            "type_mismatches": MetadataValue.json(diff["type_mismatches"]),
        },
    )


def build_contract_check(contract: str, dataset: str):
    @asset_check(
        asset=AssetKey(dataset.split("/")),
        name=CHECK_NAME,
        blocking=False,
        description=f"The table has every column of contract {contract!r} as "
        f"published in the metadata store, with its type.",
    )
    def _check(lake: LakeResource, metadata_store: MetadataStoreResource) -> AssetCheckResult:
        return check_dataset(lake.lake(), metadata_store.store(), contract, dataset)

    return _check


CHECKED_DATASETS = {f"processed/{name}": name for name in CONTRACTS} | {
    f"processed/{EVENTS.name}": EVENTS.name
}
contract_checks = [build_contract_check(contract, ds) for ds, contract in CHECKED_DATASETS.items()]
