"""Render the dbt sources from the contracts: one file per source system, one generator.

- `staging/shop/_shop__sources.yml`: the curated tables (table contracts), copied file by
  file into the warehouse schema `curated`;
- `staging/events/_events__sources.yml`: the processed events table (the event contract),
  copied the same way into the schema `events`.

Why generated: the contracts already say which columns reach the warehouse, which key is
unique, who owns a table and how fresh it must be; the loader says which columns it adds.
Writing that again by hand in YAML is how the warehouse and the lake drift apart; a test asserts
the committed files equal this output.

Run `python -m platform_assets.warehouse.dbt_sources` after changing a contract.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml

from platform_assets.contracts import CONTRACTS, TableContract
from platform_assets.contracts.events import DERIVED_DOCS, EVENTS, EventContract
from platform_assets.contracts.types import TYPES
from platform_assets.settings import DBT_PROJECT_DIR
from platform_assets.warehouse.keys import CURATED_SCHEMA, EVENTS_SCHEMA, copy_key
from platform_assets.warehouse.load_sql import LOAD_COLUMNS

STAGING = DBT_PROJECT_DIR / "models" / "staging"
SHOP_SOURCES_YML = STAGING / "shop" / "_shop__sources.yml"
EVENTS_SOURCES_YML = STAGING / "events" / "_events__sources.yml"
HEADER = (
    "# GENERATED from platform_assets/contracts by platform_assets/warehouse/dbt_sources.py.\n"
    "# Do not edit: change the contract, then run `python -m platform_assets.warehouse.dbt_sources`.\n"
)
# The lake table a source copies (documentation for analysts: where the data really lives)
LAKE_PATH = "{{ env_var('PLATFORM_LAKE_ROOT', '../.lake') }}"
# Freshness is how old the newest change is: its source commit time, or, for rows whose source
# gave none (a full load without DMS's TimestampColumnName), the time it reached the warehouse.
CURATED_LOADED_AT = "coalesce(_commit_ts, _loaded_at)"


def _loader(schema: str) -> str:
    return f"platform_assets.warehouse.loader (Delta data files -> COPY INTO {schema}.<table>)"


def _config(
    zone: str, table: str, schema: str, owner: str, key: str, loaded_at: str, sla: int, **meta
) -> dict:
    """What every source table carries: where it lives, who owns it, its key, its freshness."""
    return {
        "meta": {
            "lake_delta_table": f"{LAKE_PATH}/{zone}/{table}",
            "owner": owner,
            "primary_key": key,
            **meta,
            "dagster": {"asset_key": list(copy_key(schema, table).path)},
        },
        "loaded_at_field": loaded_at,
        "freshness": {
            "warn_after": {"count": max(1, sla // 2), "period": "minute"},
            "error_after": {"count": sla, "period": "minute"},
        },
    }


def _document(name: str, description: str, schema: str, tables: list[dict]) -> str:
    doc = {
        "version": 2,
        "sources": [
            {
                "name": name,
                "description": description,
                "schema": schema,
                "loader": _loader(schema),
                "tables": tables,
            }
        ],
    }
    return HEADER + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


# --- the shop: curated tables -------------------------------------------------------------


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


def _curated_table(contract: TableContract) -> dict:
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
    return {
        "name": contract.name,
        "description": f"{contract.description} Curated (PII dropped or hashed). {_lineage(contract)}",
        "config": _config(
            "curated",
            contract.name,
            CURATED_SCHEMA,
            contract.owner,
            contract.key,
            CURATED_LOADED_AT,
            contract.freshness_sla_minutes,
        ),
        "columns": columns,
    }


def render_shop_sources() -> str:
    return _document(
        CURATED_SCHEMA,  # the source is named for the schema it lives in
        "The curated zone of the lake: one Delta table per table contract, copied file by file "
        f"into the warehouse schema {CURATED_SCHEMA}.",
        CURATED_SCHEMA,
        [_curated_table(c) for c in CONTRACTS.values()],
    )


# --- the clickstream: the processed events table ------------------------------------------


def _event_columns(c: EventContract) -> list[dict]:
    columns = []
    for f in c.fields:
        col: dict = {"name": f.name, "description": f.description, "data_type": TYPES[f.type].warehouse}
        if f.required:
            col["data_tests"] = ["not_null"]
        columns.append(col)
    for name, logical, description in DERIVED_DOCS:
        columns.append({"name": name, "description": description, "data_type": TYPES[logical].warehouse})
    return columns


def render_events_sources(c: EventContract = EVENTS) -> str:
    table = {
        "name": c.name,
        "description": f"{c.description} One row per event id, partitioned by {c.partition_column}.",
        "config": _config(
            "processed",
            c.name,
            EVENTS_SCHEMA,
            c.owner,
            c.key,
            "ingestion_ts",
            c.freshness_sla_minutes,
            contract_version=c.version,
        ),
        "columns": _event_columns(c),
    }
    return _document(
        EVENTS_SCHEMA, "The processed zone's clickstream events (one Delta table).", EVENTS_SCHEMA, [table]
    )


SOURCES: dict[Path, Callable[[], str]] = {
    SHOP_SOURCES_YML: render_shop_sources,
    EVENTS_SOURCES_YML: render_events_sources,
}


def main() -> None:
    for path, render in SOURCES.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
