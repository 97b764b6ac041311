"""Render dbt_project/models/staging/_sources.yml from the table contracts.

Why generated: the contracts already say which columns reach the curated zone, which key is
unique, who owns a table and how fresh it must be. Writing that again by hand in YAML is how
the warehouse and the lake drift apart; a test asserts the committed file equals this output.

Run `python -m platform_assets.warehouse.dbt_sources` after changing a contract.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from platform_assets.contracts import CONTRACTS, TableContract
from platform_assets.contracts.types import TYPES
from platform_assets.profile import DBT_PROJECT_DIR

SOURCES_YML = DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml"
SOURCE_NAME = "curated"
HEADER = (
    "# GENERATED from platform_assets/contracts by platform_assets/warehouse/dbt_sources.py.\n"
    "# Do not edit: change the contract, then run `python -m platform_assets.warehouse.dbt_sources`.\n"
)
# The delta plugin of dbt-duckdb reads the curated Delta table and copies it into the
# warehouse's `curated` schema (a table, not a view bound to the dbt process, so staging views
# stay queryable by other readers). On Snowflake the same schema is filled by the loader.
LAKE_PATH = "{{ env_var('PLATFORM_LAKE_ROOT', '../.lake') }}/curated/"
# max(_commit_ts) is null while no change carried a commit time; an epoch fallback reports the
# table as stale instead of crashing `dbt source freshness`.
LOADED_AT = "coalesce(_commit_ts, cast('1970-01-01 00:00:00+00:00' as timestamp with time zone))"


def _column_docs(contract: TableContract) -> dict[str, tuple[str, str]]:
    """Curated column name -> (description, warehouse type)."""
    docs: dict[str, tuple[str, str]] = {}
    for c in contract.columns:
        if c.pii == "drop":
            continue
        if c.pii == "hash":
            docs[f"{c.name}_sha256"] = (f"SHA-256 of {c.name}: {c.description}", "varchar")
        else:
            docs[c.name] = (c.description, TYPES[c.type].warehouse)
    docs["_commit_ts"] = ("Source commit time of the row's last change (null if unknown).",
                          TYPES["timestamptz"].warehouse)
    return docs


def _table(contract: TableContract) -> dict:
    docs = _column_docs(contract)
    columns = []
    for field in contract.curated_schema():
        description, data_type = docs[field.name]
        column: dict = {"name": field.name, "description": description, "data_type": data_type}
        if field.name == contract.key:
            column["data_tests"] = ["not_null", "unique"]
        columns.append(column)
    sla = contract.freshness_sla_minutes
    return {
        "name": contract.name,
        "description": f"{contract.description} Curated (PII dropped or hashed).",
        "config": {
            "meta": {
                "delta_table_path": LAKE_PATH + contract.name,
                "owner": contract.owner,
                "primary_key": contract.key,
                "dagster": {"asset_key": [SOURCE_NAME, contract.name]},
            },
            "loaded_at_field": LOADED_AT,
            "freshness": {
                "warn_after": {"count": max(1, sla // 2), "period": "minute"},
                "error_after": {"count": sla, "period": "minute"},
            },
        },
        "columns": columns,
    }


def render_sources_yml() -> str:
    doc = {
        "version": 2,
        "sources": [{
            "name": SOURCE_NAME,
            "description": "The curated zone of the lake: one Delta table per table contract.",
            "schema": SOURCE_NAME,
            "config": {"meta": {"plugin": "delta", "materialization": "table"}},
            "tables": [_table(c) for c in CONTRACTS.values()],
        }],
    }
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    return HEADER + body


def main(path: Path = SOURCES_YML) -> None:
    path.write_text(render_sources_yml(), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
