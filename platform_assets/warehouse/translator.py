"""How dbt nodes become Dagster assets.

Why custom:
- keys: models and snapshots get `warehouse/<name>`; dbt sources take the key written into
  their meta by the contracts, `warehouse/curated/<table>`: the loader's asset, itself downstream
  of the curated Delta asset `curated/<table>`. Lineage runs unbroken from Postgres through
  the lake into the marts.
- groups by layer (`warehouse_staging`, `warehouse_intermediate`, `warehouse_snapshots`,
  `warehouse_marts`), from the node's folder, so the UI shows the layers the docs describe.
- owners from `meta.owner` (the project default is the data platform team).
- automation: see automation.py (eager for most, hourly for the partitioned facts; the marts
  after the facts are given theirs in assets.py).
- every dbt test is an asset check, source tests included (on the loader's assets).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dagster import AssetKey, AutomationCondition
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from platform_assets.warehouse import automation
from platform_assets.warehouse.keys import model_asset_key

LAYERS = ("staging", "intermediate", "marts")


def _meta(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return props.get("config", {}).get("meta") or props.get("meta") or {}


def layer_of(props: Mapping[str, Any]) -> str:
    """staging, intermediate, marts or snapshots: the folder under models/ (or snapshots/)."""
    if props["resource_type"] == "snapshot":
        return "snapshots"
    fqn = props.get("fqn") or []
    return next((part for part in fqn[1:-1] if part in LAYERS), "marts")


class WarehouseTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(
            DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_source_tests_as_checks=True)
        )

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)  # meta.dagster.asset_key
        return model_asset_key(dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return f"warehouse_{layer_of(dbt_resource_props)}"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        meta = _meta(dbt_resource_props)
        owners = meta.get("dagster", {}).get("owners") or meta.get("owner")
        if not owners:
            return super().get_owners(dbt_resource_props)
        return [owners] if isinstance(owners, str) else list(owners)

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> AutomationCondition | None:
        if dbt_resource_props.get("config", {}).get("materialized") == "incremental":
            return automation.FACTS
        return automation.BASE
