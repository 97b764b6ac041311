"""What one CDC batch refreshes, requested as one run: the freshness path from Postgres to the facts.

Why one run and not a chain of eager automation runs: on a small machine launching a run costs
5-10 s (a process that loads the code location), and an eager chain launches one per layer
(processed, curated, warehouse load, dbt), so a change took over 90 s to reach `fct_orders`.
The sensors that see changes (the local capture, DMS files) request, for the changed tables
only, the processed and curated tables, their warehouse copies and the dbt models downstream
up to the facts; the marts that aggregate the facts refresh every few minutes
(warehouse/automation.py).
dbt's own tests still gate the models; a table with nothing new skips its part of the run
(`run_tags.is_cdc_run`), and eager automation remains the fallback for anything a run
did not reach.
"""

from __future__ import annotations

from collections.abc import Iterable

from dagster import AssetKey, AssetSelection, DagsterInstance, DagsterRunStatus, RunsFilter

from platform_assets.orchestration.run_tags import CDC_TRIGGERS, TRIGGER_TAG
from platform_assets.warehouse.assets import dbt_fact_assets, dbt_warehouse_assets
from platform_assets.warehouse.keys import PREFIX, curated_copy_key
from platform_assets.warehouse.partitions import FACT_PARTITIONS

IN_FLIGHT = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
]
NOT_YET_STARTED = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING]
DOCS_KEY = AssetKey([PREFIX, "dbt_docs"])
RECONCILIATION_CHECK = "matches_postgres"


def chain_selection(tables: Iterable[str]) -> AssetSelection:
    """processed, curated and warehouse raw of `tables`, and the dbt models downstream."""
    tables = sorted(set(tables))
    lake = AssetSelection.assets(*[AssetKey([zone, t]) for t in tables for zone in ("processed", "curated")])
    loaded = AssetSelection.assets(*[curated_copy_key(t) for t in tables])
    # the dbt models only (not the ML or dashboard assets further down), named by key so that
    # the UI shows the sensors' targets as a selection query
    models = (
        loaded.downstream(include_self=False) & AssetSelection.assets(dbt_warehouse_assets, dbt_fact_assets)
    ) - AssetSelection.assets(DOCS_KEY)
    return lake | loaded | models


def chain_run(asset_graph, tables: Iterable[str], also: Iterable[AssetKey] = ()) -> dict:
    """RunRequest arguments for the chain of `tables` (plus `also`): its assets, and their
    checks except the reconciliation with Postgres, which scans both sides in full and runs
    on its own schedule (processed/assets.py) rather than in the freshness path."""
    keys = sorted((AssetSelection.assets(*also) | chain_selection(tables)).resolve(asset_graph))
    checks = AssetSelection.checks_for_assets(*keys).resolve_checks(asset_graph)
    request = {
        "asset_selection": keys,
        "asset_check_keys": sorted(k for k in checks if k.name != RECONCILIATION_CHECK),
    }
    if set(keys) & set(dbt_fact_assets.keys):
        # The facts are daily-partitioned: the run materializes today's partition, so Dagster
        # (and the marts' automation) sees them updated. It applies the loaded changes of
        # every day, not a window (`window_vars`, warehouse/partitions.py).
        request["partition_key"] = FACT_PARTITIONS.get_last_partition_key()
    return request


def cdc_runs(
    instance: DagsterInstance, statuses: list[DagsterRunStatus], triggers: Iterable[str] = CDC_TRIGGERS
) -> list:
    return [
        r
        for trigger in triggers
        for r in instance.get_runs(
            filters=RunsFilter(tags={TRIGGER_TAG: trigger}, statuses=statuses), limit=20
        )
    ]
