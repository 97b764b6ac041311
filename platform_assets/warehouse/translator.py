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
- every dbt test is an asset check, source tests included (on the loader's assets), and says
  what it asserts: generic tests from their arguments (`check_description`), singular tests from
  their description in tests/_tests.yml.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dagster import AssetCheckSpec, AssetKey, AssetSpec, AutomationCondition
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from platform_assets.warehouse import automation
from platform_assets.warehouse.keys import model_asset_key

LAYERS = ("staging", "intermediate", "marts")


def _meta(props: Mapping[str, Any]) -> Mapping[str, Any]:
    return props.get("config", {}).get("meta") or props.get("meta") or {}


def _ref_name(text: str) -> str:
    """`ref('dim_customers')` -> `dim_customers` (a test's argument as the manifest keeps it)."""
    return text.split("(", 1)[-1].rstrip(")").strip("'\" ") if "(" in text else text


def check_description(test: Mapping[str, Any]) -> str | None:
    """What a dbt test asserts, in words, from its manifest node; None if it cannot say."""
    if test.get("description"):
        return test["description"]
    meta = test.get("test_metadata") or {}
    kw = meta.get("kwargs") or {}
    column = kw.get("column_name")
    said = {
        "not_null": f"`{column}` is never null",
        "unique": f"`{column}` is unique",
        "non_negative": f"`{column}` is never negative",
        "accepted_values": f"`{column}` is one of: {', '.join(map(str, kw.get('values') or []))}",
        "relationships": f"every `{column}` exists in {_ref_name(str(kw.get('to')))}.`{kw.get('field')}`",
        "unique_combination": f"no two rows share ({', '.join(kw.get('columns') or [])})",
        "totals_match": "totals ("
        + ", ".join(kw.get("totals") or {})
        + f") equal those of {_ref_name(str(kw.get('compare_model')))}",
    }.get(meta.get("name"))
    return f"dbt test: {said}" if said else None


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

    def get_asset_check_spec(
        self, asset_spec: AssetSpec, manifest: Mapping[str, Any], unique_id: str, project
    ) -> AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return AssetCheckSpec(  # the same spec, with what it asserts
            spec.name,
            asset=spec.asset_key,
            description=check_description(manifest["nodes"][unique_id]),
            additional_deps=spec.additional_deps,
            blocking=spec.blocking,
            metadata=spec.metadata,
            automation_condition=spec.automation_condition,
            partitions_def=spec.partitions_def,
        )
