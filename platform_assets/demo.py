"""The main job, end to end on the embedded defaults, and the summary it prints."""

from __future__ import annotations

import os

import duckdb
import psycopg

from platform_assets.contracts import CONTRACTS
from platform_assets.errors import PlatformError
from platform_assets.settings import locations
from platform_assets.sources.oltp.schema import row_counts
from platform_assets.sources.oltp.seed import seed
from platform_assets.storage.delta import open_table

WAREHOUSE_MODELS = ("dim_customers", "fct_orders", "mart_daily_revenue")


def run_pipeline() -> None:
    """Materialize the whole asset graph once, recorded in the Dagster instance if there is one."""
    from dagster import DagsterInstance

    from platform_assets.definitions import build_definitions

    defs = build_definitions()
    instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
    job = defs.resolve_job_def("lakehouse_pipeline")
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=quiet)
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        raise PlatformError(f"the pipeline failed in steps {failed}; see the logs above")


def summary(dsn: str) -> str:
    loc = locations()
    lake_root = loc.lake_root
    from platform_assets.lake import Lake

    lake = Lake(str(lake_root))
    with psycopg.connect(dsn) as conn:
        source = row_counts(conn)
    lines = [f"{'table':<14}{'postgres':>10}{'processed':>11}{'curated':>10}"]
    for name, c in CONTRACTS.items():
        counts = []
        for zone in ("processed", "curated"):
            dt = open_table(lake, zone, c.name)
            counts.append(dt.to_pyarrow_dataset().count_rows() if dt else 0)
        lines.append(f"{name:<14}{source[name]:>10}{counts[0]:>11}{counts[1]:>10}")
    with duckdb.connect(str(loc.warehouse_path), read_only=True) as db:
        for model in WAREHOUSE_MODELS:
            n = db.execute(f"SELECT count(*) FROM {qualified_model(db, model)}").fetchone()[0]
            lines.append(f"warehouse {model}: {n} rows")
    lines += [
        f"raw zone (DMS format):  {lake_root / 'raw' / 'cdc'}",
        f"Delta tables:           {lake_root / 'processed'}  and  {lake_root / 'curated'}",
        f"warehouse (DuckDB):     {loc.warehouse_path}",
        "open the UI:            make dev   ->  http://127.0.0.1:3000",
        "analyst docs:           make docs  ->  http://127.0.0.1:8080",
    ]
    return "\n".join(lines)


def qualified_model(db: duckdb.DuckDBPyConnection, model: str) -> str:
    row = db.execute(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = ?", [model]
    ).fetchone()
    if row is None:
        raise PlatformError(f"warehouse model {model} is missing from {locations().warehouse_path}")
    return f'"{row[0]}"."{model}"'


def demo(orders: int) -> str:
    from platform_assets.resources import OltpResource

    oltp = OltpResource(data_dir=str(locations().oltp_data_dir), dsn=os.environ.get("PLATFORM_OLTP_DSN"))
    dsn = oltp.resolved_dsn()
    with psycopg.connect(dsn) as conn:
        seed(conn, orders=orders)
    run_pipeline()
    return summary(dsn)
