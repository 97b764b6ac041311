"""The ML tables in the warehouse (schema `ml`), written through the warehouse loader's own
connection (DuckDB locally, Snowflake in `prod`), in the `warehouse` pool like every writer.

- `ml.churn_predictions`: the curated predictions table copied file by file by the loader
  (`CopiedTable`), exactly as the curated tables are copied;
- `ml.churn_model_monitoring`: one row per scoring run, appended once.
"""

from __future__ import annotations

from platform_assets.contracts.types import TYPES
from platform_assets.ml.monitoring import TABLE_COLUMNS, MonitoringRow
from platform_assets.ml.names import MONITORING_TABLE, PREDICTIONS_TABLE, WAREHOUSE_SCHEMA
from platform_assets.ml.scoring import PREDICTIONS_COLUMNS
from platform_assets.storage.sql_text import sql_ident
from platform_assets.warehouse.load_sql import CopiedTable, quote
from platform_assets.warehouse.loader import CuratedLoader

PREDICTIONS_COPY = CopiedTable(
    "curated",
    PREDICTIONS_TABLE,
    WAREHOUSE_SCHEMA,
    tuple((n, TYPES[t].warehouse) for n, t, _ in PREDICTIONS_COLUMNS),
)
MONITORING_RELATION = sql_ident(WAREHOUSE_SCHEMA, MONITORING_TABLE)


def append_monitoring(loader: CuratedLoader, row: MonitoringRow) -> bool:
    """Append the run's row unless a row of the same run (scored_at, model_version) is there;
    True if it was added."""
    cols = ", ".join(sql_ident(n) for n, _ in TABLE_COLUMNS)  # `rows` is reserved in Snowflake
    with loader.session() as (session, dialect):
        types = ", ".join(f"{sql_ident(n)} {dialect.type_of(t)}" for n, t in TABLE_COLUMNS)
        session.run(f"create schema if not exists {sql_ident(WAREHOUSE_SCHEMA)}")
        session.run(f"create table if not exists {MONITORING_RELATION} ({types})")
        scored_at = dialect.ts_literal(row.scored_at)
        where = f"scored_at = {scored_at} and model_version = {row.model_version}"
        if session.rows(f"select count(*) from {MONITORING_RELATION} where {where}")[0][0]:  # noqa: S608 -- quoted parts
            return False
        values = ", ".join(
            [scored_at, *(repr(v) if not isinstance(v, str) else quote(v) for v in row.values()[1:])]
        )
        session.run(f"insert into {MONITORING_RELATION} ({cols}) values ({values})")  # noqa: S608 -- quoted parts
        return True
