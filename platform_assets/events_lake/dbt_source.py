"""Render dbt_project/models/staging/events/_sources_events.yml from the event contract.

Why generated: the contract already says which columns the processed events table has, their
types, its key, owner and freshness; the warehouse must not drift from it. A test asserts the
committed file equals this output. Run `python -m platform_assets.events_lake.dbt_source`
after changing the contract.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from platform_assets.contracts.events import DERIVED_DOCS, EVENTS, EventContract
from platform_assets.contracts.types import TYPES
from platform_assets.settings import DBT_PROJECT_DIR
from platform_assets.warehouse.keys import EVENTS_SCHEMA, copy_key

SOURCES_YML = DBT_PROJECT_DIR / "models" / "staging" / "events" / "_sources_events.yml"
HEADER = (
    "# GENERATED from platform_assets/contracts/events.py by "
    "platform_assets/events_lake/dbt_source.py.\n"
    "# Do not edit: change the contract, then run "
    "`python -m platform_assets.events_lake.dbt_source`.\n"
)
# Same reading path as the curated sources, in every target: the warehouse loader copies the
# processed Delta table's files into `events.events` (COPY INTO on Snowflake, read_parquet on
# DuckDB); the source reads that copy (asset `warehouse/events/events`).
LAKE_PATH = "{{ env_var('PLATFORM_LAKE_ROOT', '../.lake') }}/processed/"


def _columns(c: EventContract) -> list[dict]:
    columns = []
    for f in c.fields:
        col: dict = {"name": f.name, "description": f.description, "data_type": TYPES[f.type].warehouse}
        if f.required:
            col["data_tests"] = ["not_null"]
        columns.append(col)
    for name, logical, description in DERIVED_DOCS:
        columns.append({"name": name, "description": description, "data_type": TYPES[logical].warehouse})
    return columns


def render_sources_yml(c: EventContract = EVENTS) -> str:
    sla = c.freshness_sla_minutes
    doc = {
        "version": 2,
        "sources": [
            {
                "name": "events",
                "description": "The processed zone's clickstream events (one Delta table).",
                "schema": EVENTS_SCHEMA,
                "loader": "platform_assets.warehouse.loader (Delta data files -> COPY INTO "
                f"{EVENTS_SCHEMA}.{c.name})",
                "tables": [
                    {
                        "name": c.name,
                        "description": f"{c.description} One row per event id, partitioned by "
                        f"{c.partition_column}.",
                        "config": {
                            "meta": {
                                "lake_delta_table": LAKE_PATH + c.name,
                                "owner": c.owner,
                                "primary_key": c.key,
                                "contract_version": c.version,
                                "dagster": {"asset_key": list(copy_key(EVENTS_SCHEMA, c.name).path)},
                            },
                            "loaded_at_field": "ingestion_ts",
                            "freshness": {
                                "warn_after": {"count": max(1, sla // 2), "period": "minute"},
                                "error_after": {"count": sla, "period": "minute"},
                            },
                        },
                        "columns": _columns(c),
                    }
                ],
            }
        ],
    }
    return HEADER + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def main(path: Path = SOURCES_YML) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_sources_yml(), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
