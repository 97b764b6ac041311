"""Sensors of the metadata store.

- `contract_change_sensor` follows the store's change stream (DynamoDB Streams in `prod`, the
  SQLite change log in `local`); a contract whose fingerprint changed requests its
  `matches_contract` checks on the datasets it lists. On its first tick it starts at the
  stream's end: publications before it are not changes. The cursor is the stream position,
  committed with the run requests; the run key names contract and schema version, so a
  replayed change launches nothing twice.
- `metadata_materializations_sensor` copies the last materialization of every asset from
  Dagster's event log into the store (dataset -> run, partition, time, row count).
"""

import json

from dagster import (
    AssetCheckKey,
    AssetKey,
    AssetSelection,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    sensor,
)

from platform_assets.metadata.checks import CHECK_NAME, CHECKED_DATASETS
from platform_assets.metadata.resources import MetadataStoreResource
from platform_assets.metadata.store import Change

CHECK_KEYS = [AssetCheckKey(AssetKey(ds.split("/")), CHECK_NAME) for ds in CHECKED_DATASETS]


def changed_contracts(changes: list[Change]) -> dict[str, dict]:
    """Contracts whose document changed (by fingerprint): name -> the new 'current' item."""
    changed: dict[str, dict] = {}
    for ch in changes:
        if not (ch.pk.startswith("contract#") and ch.sk == "current" and ch.new):
            continue
        if (
            ch.old
            and ch.old.get("fingerprint") == ch.new.get("fingerprint")
            and ch.old.get("datasets") == ch.new.get("datasets")
        ):
            continue
        changed[ch.new["name"]] = ch.new
    return changed


def recheck_requests(changed: dict[str, dict]) -> list[RunRequest]:
    requests = []
    for name, doc in sorted(changed.items()):
        keys = [
            AssetCheckKey(AssetKey(ds.split("/")), CHECK_NAME)
            for ds in doc["datasets"]
            if ds in CHECKED_DATASETS
        ]
        if keys:
            requests.append(
                RunRequest(
                    run_key=f"contract:{name}:v{doc['schema_version']}:{doc['fingerprint'][:12]}",
                    asset_selection=[],
                    asset_check_keys=keys,
                    tags={"lakehouse/trigger": "contract_change", "lakehouse/contract": name},
                )
            )
    return requests


# a job, not a bare selection: the UI shows the sensor's target by this name (checks have no
# selection syntax to show them by)
contract_checks_job = define_asset_job(
    "contract_checks",
    selection=AssetSelection.checks(*CHECK_KEYS),
    description="The `matches_contract` checks: a dataset's columns and types against its contract.",
)


@sensor(
    name="contract_change_sensor",
    minimum_interval_seconds=30,
    job=contract_checks_job,
    default_status=DefaultSensorStatus.RUNNING,
    description="Follows the metadata store's change stream; a changed contract re-runs "
    "the `matches_contract` checks of the datasets it affects.",
)
def contract_change_sensor(context: SensorEvaluationContext, metadata_store: MetadataStoreResource):
    store = metadata_store.store()
    changes, cursor = store.read_changes(context.cursor, limit=1000)
    if context.cursor is None:
        # A fresh instance: the contracts' first publication is not a change, and the checks
        # run with the assets they check anyway. Follow the stream from its end, launching
        # nothing (before, one run per contract burst out on the first tick).
        contracts = set(changed_contracts(changes))
        while changes:
            changes, cursor = store.read_changes(cursor, limit=1000)
            contracts |= set(changed_contracts(changes))
        return SensorResult(
            skip_reason=SkipReason(
                f"first tick: following the change stream from its end; {len(contracts)} contracts "
                "published before it are not changes"
            ),
            cursor=cursor,
        )
    requests = recheck_requests(changed_contracts(changes))
    if not requests:
        return SensorResult(
            skip_reason=SkipReason(f"{len(changes)} store changes, no contract changed"), cursor=cursor
        )
    return SensorResult(run_requests=requests, cursor=cursor)


def _plain(value):
    value = getattr(value, "value", value)
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


@sensor(
    name="metadata_materializations_sensor",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Records the last materialization of every asset in the metadata store.",
)
def metadata_materializations_sensor(context: SensorEvaluationContext, metadata_store: MetadataStoreResource):
    seen: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
    keys = list(context.repository_def.asset_graph.get_all_asset_keys()) if context.repository_def else []
    store = None
    written = 0
    for record in context.instance.get_asset_records(keys):
        last = record.asset_entry.last_materialization_record
        name = "/".join(record.asset_entry.asset_key.path)
        if last is None or seen.get(name, -1) >= last.storage_id:
            continue
        mat = last.asset_materialization
        store = store or metadata_store.store()
        store.record_materialization(
            name,
            {
                "run_id": last.run_id,
                "partition": mat.partition if mat else None,
                "timestamp": last.timestamp,
                "storage_id": last.storage_id,
                "metadata": {
                    k: _plain(v)
                    for k, v in (mat.metadata if mat else {}).items()
                    if k in ("dagster/row_count", "rows", "delta_version", "path")
                },
            },
        )
        seen[name] = last.storage_id
        written += 1
    if not written:
        return SensorResult(skip_reason=SkipReason("no new materializations"), cursor=json.dumps(seen))
    return SensorResult(cursor=json.dumps(seen))
