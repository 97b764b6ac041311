"""Render dbt_project/models/staging/shop/_shop__sources.yml from the table contracts.

Why generated: the contracts already say which columns reach the curated zone, which key is
unique, who owns a table and how fresh it must be; the loader says which columns it adds.
Writing that again by hand in YAML is how the warehouse and the lake drift apart; a test asserts
the committed file equals this output.

Run `python -m platform_assets.warehouse.dbt_sources` after changing a contract.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from platform_assets.contracts import CONTRACTS, TableContract
from platform_assets.contracts.types import TYPES
from platform_assets.settings import DBT_PROJECT_DIR
from platform_assets.warehouse.keys import CURATED_SCHEMA, curated_copy_key
from platform_assets.warehouse.load_sql import LOAD_COLUMNS

# staging per source system, as dbt's structure guide lays it out: the shop's tables
SOURCES_YML = DBT_PROJECT_DIR / "models" / "staging" / "shop" / "_shop__sources.yml"
SOURCE_NAME = CURATED_SCHEMA  # the source is named for the schema it lives in
HEADER = (
    "# GENERATED from platform_assets/contracts by platform_assets/warehouse/dbt_sources.py.\n"
    "# Do not edit: change the contract, then run `python -m platform_assets.warehouse.dbt_sources`.\n"
)
# The source is the lake's curated Delta table; its warehouse relation is the copy the loader
# keeps in the schema of the same name (COPY INTO on Snowflake, read_parquet on DuckDB), one to one.
LAKE_PATH = "{{ env_var('PLATFORM_LAKE_ROOT', '../.lake') }}/curated/"
LOADER = f"platform_assets.warehouse.loader (Delta data files -> COPY INTO {CURATED_SCHEMA}.<table>)"
# Freshness is how old the newest change is: its source commit time, or, for rows whose source
# gave none (a full load without DMS's TimestampColumnName), the time it reached the warehouse.
LOADED_AT = "coalesce(_commit_ts, _loaded_at)"


def _column_docs(contract: TableContract) -> dict[str, tuple[str, str, dict]]:
    """Curated column name -> (description, warehouse type, meta)."""
    docs: dict[str, tuple[str, str, dict]] = {}
    for c in contract.columns:
        if c.curated_name is None:  # dropped on the way (PII, free text)
            continue
        if c.pii == "hash":
            docs[c.curated_name] = (c.curated_description, "varchar", {"pii": c.pii_tag})
        else:
            docs[c.name] = (c.curated_description, TYPES[c.type].warehouse, {})
    docs["_commit_ts"] = (
        "Source commit time of the row's last change (null if unknown).",
        TYPES["timestamptz"].warehouse,
        {},
    )
    for name, data_type, description in LOAD_COLUMNS:
        docs[name] = (description, data_type, {})
    return docs


def _lineage(contract: TableContract) -> str:
    t = contract.name
    return (
        f"Lineage: Postgres {contract.schema}.{t} -> CDC files raw/cdc/{contract.schema}/{t}/ "
        f"(AWS DMS format) -> processed/{t} (Delta, MERGE) -> curated/{t} (Delta, PII "
        f"masked) -> warehouse {CURATED_SCHEMA}.{t} (files loaded once)."
    )


def _table(contract: TableContract) -> dict:
    docs = _column_docs(contract)
    columns = []
    for name in [*contract.curated_schema().names, *(n for n, _, _ in LOAD_COLUMNS)]:
        description, data_type, meta = docs[name]
        column: dict = {"name": name, "description": description, "data_type": data_type}
        if meta:
            column["config"] = {"meta": meta}
        if name == contract.key:
            column["data_tests"] = ["not_null", "unique"]
        columns.append(column)
    sla = contract.freshness_sla_minutes
    return {
        "name": contract.name,
        "description": f"{contract.description} Curated (PII dropped or hashed). {_lineage(contract)}",
        "config": {
            "meta": {
                "lake_delta_table": LAKE_PATH + contract.name,
                "owner": contract.owner,
                "primary_key": contract.key,
                "dagster": {"asset_key": list(curated_copy_key(contract.name).path)},
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
        "sources": [
            {
                "name": SOURCE_NAME,
                "description": "The curated zone of the lake: one Delta table per table contract, "
                f"copied file by file into the warehouse schema {CURATED_SCHEMA}.",
                "schema": CURATED_SCHEMA,
                "loader": LOADER,
                "tables": [_table(c) for c in CONTRACTS.values()],
            }
        ],
    }
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    return HEADER + body


def main(path: Path = SOURCES_YML) -> None:
    path.write_text(render_sources_yml(), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
