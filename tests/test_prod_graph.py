"""The whole graph with PLATFORM_ENV=prod against local protocol servers, and its marts equal to
a `local` build of the same data.

moto's server (the session's) holds the lake on S3, the metadata table, the stream, Glue and
CloudWatch; fakesnow's server (the session's) is Snowflake. Seeded Postgres -> full load and
capture into DMS files on S3 -> processed and curated Delta on S3 -> COPY INTO Snowflake -> dbt
marts on Snowflake; then one CDC round through the same path. `provision_all()` creates what
prod needs. The graph runs in process (the main job's `execute_in_process`, with the
definitions' own prod resources), in two parts: fakesnow runs on DuckDB, which here has no
`httpfs` and cannot read a stage on S3, so between the lake's part and the warehouse's the test
copies the bucket's curated and processed zones into a folder the stages read
(PLATFORM_WAREHOUSE_STAGE_URL). That copy is the only stand-in; the loader still reads each
Delta log on S3 and names the files COPY INTO takes.

The `local` build of the same data loads that copy of the lake into DuckDB and runs dbt's
`local` target; each mart's row count and totals must be equal (as the parity test compares).
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import boto3
import duckdb
import psycopg
import pytest
from dagster import AssetKey, DagsterInstance
from warehouse_data import EVENT_MARTS, MART_TOTALS, MARTS

from platform_assets.contracts import CONTRACTS
from platform_assets.contracts.events import EVENTS
from platform_assets.lake import Lake
from platform_assets.settings import DBT_PROJECT_DIR
from platform_assets.warehouse.load_sql import curated_copy, events_copy
from platform_assets.warehouse.loader import DuckDBCuratedLoader
from platform_assets.warehouse.project import dbt_executable

pytestmark = pytest.mark.slow
BUCKET = "prod-graph-lake"
DATABASE = "PRODGRAPH"
TOTALS = MART_TOTALS
ALL_MARTS = [*MARTS, *EVENT_MARTS]


@pytest.fixture
def prod_env(tmp_path, pg_dsn, moto_endpoint, fakesnow_server, monkeypatch):
    mirror = tmp_path / "stage"
    s = fakesnow_server
    env = {
        "PLATFORM_ENV": "prod",
        "PLATFORM_HOME": str(tmp_path / "home"),
        "PLATFORM_LAKE_URI": f"s3://{BUCKET}/lake",
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PLATFORM_OLTP_DSN": pg_dsn,
        "PLATFORM_PII_HASH_KEY": "prod-graph-test-key-" + "k" * 20,
        "PLATFORM_METADATA_TABLE": "prod-graph-metadata",
        "PLATFORM_EVENTS_STREAM": "prod-graph",
        "PLATFORM_GLUE_DATABASE_PREFIX": "prodgraph_",
        "SNOWFLAKE_ACCOUNT": s["account"],
        "SNOWFLAKE_USER": s["user"],
        "SNOWFLAKE_PASSWORD": s["password"],
        "SNOWFLAKE_DATABASE": DATABASE,
        "SNOWFLAKE_WAREHOUSE": "TRANSFORMING",
        "SNOWFLAKE_ROLE": "SYSADMIN",
        "SNOWFLAKE_HOST": s["host"],
        "SNOWFLAKE_PORT": str(s["port"]),
        "SNOWFLAKE_PROTOCOL": s["protocol"],
        "PLATFORM_WAREHOUSE_EMULATOR": "fakesnow",
        "SNOWFLAKE_ALLOWED_IPS": "127.0.0.1/32",
        "PLATFORM_WAREHOUSE_STAGE_URL": f"file://{mirror}",
        "DBT_LOG_PATH": str(tmp_path / "dbt-logs"),
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return mirror


def _mirror(endpoint: str, mirror: Path) -> None:
    """Copy the bucket's processed and curated zones where the fakesnow stages read them."""
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="lake/"):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if key.split("/")[1] not in ("processed", "curated"):
                continue
            target = mirror / key.removeprefix("lake/")
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(BUCKET, key, str(target))


def _run(keys: set[AssetKey], instance: DagsterInstance) -> None:
    from platform_assets.definitions import build_definitions

    job = build_definitions().resolve_job_def("lakehouse_pipeline")
    result = job.get_subset(asset_selection=keys).execute_in_process(instance=instance, raise_on_error=False)
    failed = [
        e.step_key + ": " + str(e.event_specific_data.error.message)[-1500:]
        for e in result.all_events
        if e.is_step_failure
    ]
    done = sorted(
        "/".join(e.asset_key.path) for e in result.all_events if e.is_step_materialization and e.asset_key
    )
    assert result.success, (failed, done)


def _all_keys() -> tuple[set[AssetKey], set[AssetKey]]:
    from platform_assets.definitions import build_definitions

    graph = build_definitions().get_repository_def().asset_graph
    # the data platform's graph; ML (SageMaker: tests/test_ml_sagemaker.py) and the dashboards
    # (Snowflake and QuickSight: tests/test_dashboards_*.py) are tested in prod on their own
    keys = {k for k in graph.materializable_asset_keys if graph.get(k).group_name not in ("ml", "dashboards")}
    warehouse = {k for k in keys if k.path[0] == "warehouse" and k.path[-1] != "dbt_docs"}
    lake = {k for k in keys if k.path[0] != "warehouse"}
    return lake, warehouse


def _local_profile(lake_root: Path, tmp: Path) -> dict:
    warehouse = tmp / "local.duckdb"
    warehouse.unlink(missing_ok=True)
    lake = Lake(str(lake_root))
    DuckDBCuratedLoader(path=str(warehouse)).load(
        lake, [*(curated_copy(c) for c in CONTRACTS.values()), events_copy(EVENTS)]
    )
    env = {**os.environ, "PLATFORM_WAREHOUSE_PATH": str(warehouse), "PLATFORM_LAKE_ROOT": str(lake_root)}
    done = subprocess.run(
        [
            dbt_executable(),
            "build",
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target",
            "local",
            "--target-path",
            str(tmp / "target-local"),
        ],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    with duckdb.connect(str(warehouse), read_only=True) as db:
        return _profile(lambda sql: db.execute(sql).fetchone()[0])


def _profile(one) -> dict:
    return {
        m: (
            one(f"select count(*) from marts.{m}"),  # noqa: S608 -- the project's mart names
            round(float(one(f"select coalesce(sum({TOTALS[m]}), 0) from marts.{m}")) * 100)  # noqa: S608 -- the project's mart and column names
            if m in TOTALS
            else None,
        )
        for m in ALL_MARTS
    }


def _snowflake_profile() -> dict:
    from platform_assets.warehouse.resources import snowflake_resource

    with snowflake_resource().process_config_and_initialize().get_connection() as con:
        cur = con.cursor()

        def one(sql):
            cur.execute(sql)
            return cur.fetchone()[0]

        return _profile(one)


def test_prod_graph_on_local_servers_equals_a_local_build(prod_env, pg_dsn, moto_endpoint, tmp_path):
    from platform_assets.aws import aws_settings
    from platform_assets.provision import provision_all
    from platform_assets.raw.cdc_capture.capture import capture_until_empty
    from platform_assets.raw.cdc_capture.slot import ensure_replication
    from platform_assets.raw.full_load import full_load
    from platform_assets.resources import LakeResource
    from platform_assets.sources.events.producer import FirehoseFileSink, config_from_ids, produce
    from platform_assets.sources.oltp.seed import seed
    from platform_assets.sources.oltp.workload import run_workload
    from platform_assets.variables import value

    mirror = prod_env
    report = provision_all()
    assert any("V001__database_and_history" in r for r in report.created + report.found)

    lake = (
        LakeResource(root=value("PLATFORM_LAKE_URI"), **aws_settings()).process_config_and_initialize().lake()
    )
    with psycopg.connect(pg_dsn) as conn:
        seed(conn, orders=2000, seed=5)
        ensure_replication(conn)
        customers = [r[0] for r in conn.execute("select customer_id from customers")]
        products = [r[0] for r in conn.execute("select product_id from products")]
        orders = [r[0] for r in conn.execute("select order_id from orders")]
    full_load(pg_dsn, lake, list(CONTRACTS.values()))
    produce(
        FirehoseFileSink(lake),
        config_from_ids(customers[:300], products, orders, seed=4),
        rate=0.05,
        duration=86_400,
        start=datetime(2026, 3, 1, tzinfo=UTC),
    )

    lake_keys, warehouse_keys = _all_keys()
    instance = DagsterInstance.ephemeral()
    for round_ in ("full load", "cdc"):
        _run(lake_keys, instance)
        _mirror(moto_endpoint, mirror)
        _run(warehouse_keys, instance)
        prod = _snowflake_profile()
        assert prod == _local_profile(mirror, tmp_path), round_
        assert all(n > 0 for n, _ in prod.values()), round_
        if round_ == "full load":
            with psycopg.connect(pg_dsn) as conn:
                run_workload(conn, 150, seed=8)
            assert capture_until_empty(pg_dsn, lake)

    counts = [
        e
        for e in instance.get_latest_materialization_events(
            {AssetKey(["warehouse", m]) for m in ALL_MARTS}
        ).values()
        if e
    ]
    assert len(counts) == len(ALL_MARTS)
    for event in counts:
        metadata = event.asset_materialization.metadata
        assert "dagster/row_count" in metadata, event.asset_materialization.asset_key
