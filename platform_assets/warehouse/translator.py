"""How dbt nodes become Dagster assets.

Why custom: models get `warehouse/<model>` keys in one `warehouse` group, and dbt sources take
the asset key written into their meta by the contracts (`curated/<table>`), which is the key of
the curated Delta asset, so lineage runs unbroken from Postgres through the lake into the marts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dagster import AssetKey, AutomationCondition
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

GROUP = "warehouse"


def _meta(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return props.get("config", {}).get("meta") or props.get("meta") or {}


class WarehouseTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)  # meta.dagster.asset_key
        return AssetKey([GROUP, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return GROUP

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        meta = _meta(dbt_resource_props)
        owners = meta.get("dagster", {}).get("owners") or meta.get("owner")
        if not owners:
            return super().get_owners(dbt_resource_props)
        return [owners] if isinstance(owners, str) else list(owners)

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]
                                 ) -> AutomationCondition | None:
        # models follow the curated zone: a CDC apply reaches fct_orders without a schedule
        return AutomationCondition.eager()
