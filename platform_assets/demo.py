"""The main job, end to end on the embedded defaults, and the summary it prints.

Before the run the demo lands a week of clickstream for the seeded shop (its customers,
products and orders), as Firehose would, so the events marts and the funnel dashboard have
data; once: a second demo finds the landed files and lands nothing.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import duckdb
import psycopg

from platform_assets.contracts import CONTRACTS
from platform_assets.errors import PlatformError
from platform_assets.settings import locations
from platform_assets.sources.oltp.schema import row_counts
from platform_assets.sources.oltp.seed import seed
from platform_assets.storage.delta import open_table
from platform_assets.storage.sql_text import sql_ident

WAREHOUSE_MODELS = (
    "dim_customers",
    "fct_orders",
    "mart_daily_revenue",
    "fct_sessions",
    "mart_conversion_funnel",
)
# a week of visits at 0.05 events a second: ~30k events, each purchase naming a seeded order;
# landed in objects of 15 minutes (Firehose's longest buffer interval), ~670 files
CLICKSTREAM_DAYS = 7
CLICKSTREAM_RATE = 0.05
CLICKSTREAM_BUFFER_SECONDS = 900


def run_pipeline(jobs: tuple[str, ...] = ("lakehouse_pipeline",)) -> None:
    """Run `jobs` once each, in order (the whole data platform by default), recorded in the
    Dagster instance if there is one. A job holding the daily facts runs in two: first all
    that is not downstream of them, then the facts and what follows them as a single-run
    backfill over the days of the curated orders not yet recorded (`run_fact_backfill`), so
    the UI shows those partitions materialized."""
    from dagster import AssetSelection, DagsterInstance

    from platform_assets.definitions import build_definitions
    from platform_assets.warehouse.assets import dbt_fact_assets

    defs = build_definitions()
    instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
    for name in jobs:
        job = defs.resolve_job_def(name)
        keys = set(job.asset_layer.selected_asset_keys)
        if not keys & set(dbt_fact_assets.keys):
            _execute(job, instance)
            continue
        after = AssetSelection.assets(*dbt_fact_assets.keys).downstream().resolve(job.asset_layer.asset_graph)
        _execute(job, instance, keys - after)
        run_fact_backfill(job, instance, keys & after)


def run_fact_backfill(job, instance, keys) -> None:
    """Materialize `keys` of `job` (the daily facts and assets after them) in one run over the
    facts' partitions from the first to the last day of the curated orders that the instance
    has not recorded yet, so each is recorded as materialized; when all are (a rerun), or
    without orders, in a run with no partition, which applies the changes loaded since."""
    from platform_assets.lake import Lake
    from platform_assets.warehouse.assets import dbt_fact_assets
    from platform_assets.warehouse.partitions import backfill_range, order_days, range_tags

    recorded = [instance.get_materialized_partitions(k) for k in dbt_fact_assets.keys if k in keys]
    done = set.intersection(*recorded) if recorded else set()
    keys_range = backfill_range(order_days(Lake(str(locations().lake_root))), done)
    with _one_planned_event_per_asset():
        _execute(job, instance, keys, range_tags(keys_range) if keys_range else {})


@contextmanager
def _one_planned_event_per_asset():
    """Dagster records a run's planned materializations one event per partition unless this
    variable is set: a year of days is then ~1,100 fewer writes to the instance's SQLite (the
    materializations themselves are one per partition either way). The trade: partitions of a
    failed backfill are not marked failed, and a failed demo stops with an error anyway."""
    name = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"
    before = os.environ.get(name)
    os.environ[name] = "true"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _execute(job, instance, keys=None, tags: dict[str, str] | None = None) -> None:
    """Run `keys` of `job` (all of it without keys); a failed step is a PlatformError."""
    if keys is not None and not keys:
        return
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    selection = list(keys) if keys is not None else None
    result = job.execute_in_process(
        instance=instance, raise_on_error=False, run_config=quiet, asset_selection=selection, tags=tags
    )
    if not result.success:
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        raise PlatformError(f"{job.name} failed in steps {failed}; see the logs above")


def land_clickstream(
    lake, conn, now: datetime | None = None, days: int = CLICKSTREAM_DAYS, rate: float = CLICKSTREAM_RATE
) -> int:
    """Land `days` of clickstream ending `now` for the shop in `conn` under raw/events/
    (Firehose's layout), unless the stream already has landed files; returns the number of
    records landed (0 when it found some)."""
    import pyarrow.fs as pafs

    from platform_assets.contracts.events import EVENTS
    from platform_assets.raw.firehose_layout import stream_prefix
    from platform_assets.sources.events.producer import FirehoseFileSink, config_from_ids, produce, shop_ids

    fs, prefix = lake.filesystem(), lake.fs_path(stream_prefix(lake, EVENTS.stream))
    landed = fs.get_file_info(pafs.FileSelector(prefix, recursive=True, allow_not_found=True))
    if any(f.type == pafs.FileType.File for f in landed):
        return 0
    customers, products, orders, prices = shop_ids(conn)
    duration = days * 86_400
    start = (now or datetime.now(UTC)) - timedelta(seconds=duration)
    stats = produce(
        FirehoseFileSink(lake, buffer_seconds=CLICKSTREAM_BUFFER_SECONDS),
        config_from_ids(customers, products, orders, prices),
        rate,
        duration,
        start,
    )
    return stats.records


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
            n = db.execute(f"SELECT count(*) FROM {qualified_model(db, model)}").fetchone()[0]  # noqa: S608 -- identifiers quoted by sql_ident()
            lines.append(f"warehouse {model}: {n} rows")
    from platform_assets.dashboards.access import default_users_file

    lines += [
        f"raw zone (DMS format):  {lake_root / 'raw' / 'cdc'}",
        f"Delta tables:           {lake_root / 'processed'}  and  {lake_root / 'curated'}",
        f"warehouse (DuckDB):     {loc.warehouse_path}",
        "open the UI:            make dev   ->  http://127.0.0.1:3000",
        "analyst docs:           make docs  ->  http://127.0.0.1:8080",
        f"dashboards (files):     {loc.dashboards_dir / 'index.html'}  (opens offline in a browser)",
        "dashboards (served):    .venv/bin/lakehouse dashboards serve  ->  http://127.0.0.1:8050",
        f"dashboard sign-in:      users, groups and passwords in {default_users_file(loc.home)}",
        still_running(loc),
    ]
    return "\n".join(lines)


def still_running(loc) -> str:
    """What the demo leaves running, and how to stop it: the embedded Postgres (the demo does
    not stop it, so that `make dev` and a CDC round find the shop's database)."""
    from platform_assets.variables import value

    if value("PLATFORM_OLTP_DSN"):
        return "still running:          nothing the demo started (Postgres is PLATFORM_OLTP_DSN's)"
    if (loc.oltp_data_dir / "postmaster.pid").exists():
        return (
            f"still running:          embedded Postgres ({loc.oltp_data_dir})  ->  "
            "stop it: .venv/bin/lakehouse oltp stop"
        )
    return "still running:          nothing"


def qualified_model(db: duckdb.DuckDBPyConnection, model: str) -> str:
    row = db.execute(
        "SELECT table_schema FROM information_schema.tables WHERE table_name = ?", [model]
    ).fetchone()
    if row is None:
        raise PlatformError(f"warehouse model {model} is missing from {locations().warehouse_path}")
    return sql_ident(row[0], model)


def demo(orders: int) -> str:
    from platform_assets.dashboards.access import default_users_file, write_demo_users
    from platform_assets.lake import Lake
    from platform_assets.resources import OltpResource

    oltp = OltpResource(data_dir=str(locations().oltp_data_dir), dsn=os.environ.get("PLATFORM_OLTP_DSN"))
    dsn = oltp.resolved_dsn()
    with psycopg.connect(dsn) as conn:
        seed(conn, orders=orders)
        landed = land_clickstream(Lake(str(locations().lake_root)), conn)
    if landed:
        print(f"landed {landed} clickstream records under raw/events/", flush=True)
    write_demo_users(default_users_file(locations().home))
    run_pipeline(("lakehouse_pipeline", "churn_ml"))
    return summary(dsn)
