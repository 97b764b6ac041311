"""The Glue path into the warehouse: a table whose contract selects `warehouse_load="glue"`.

- In local Spark: the Glue job's transform (`job_script.copy_rows`), given a curated Delta
  version's files, produces exactly the rows the DuckDB loader copies (every column; the load
  id and time are the manifest's), and the job's pre/post SQL is the loader's own.
- In `prod` against moto (Glue, S3) and fakesnow: the copy asset loads the table through
  dagster-aws's `PipesGlueClient`: the script is uploaded, the job created with its definition,
  the run started with the manifest and the Pipes arguments and followed to SUCCEEDED, and the
  run is in the asset's metadata. moto does not execute Glue scripts, so the job's Snowflake
  write is verified only by the local transform test.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import boto3
import duckdb
import pytest
from deltalake import DeltaTable, write_deltalake
from warehouse_data import curated_table, merge_curated, shop_rows

from platform_assets.contracts import CONTRACTS
from platform_assets.lake import Lake
from platform_assets.warehouse.delta_files import plan_load, snapshot_of
from platform_assets.warehouse.glue.job import manifest
from platform_assets.warehouse.glue.job_script import copy_rows
from platform_assets.warehouse.load_sql import LoadBatch, SnowflakeDialect, SnowflakeStages, curated_copy
from platform_assets.warehouse.loader import DuckDBCuratedLoader

ORDERS = dataclasses.replace(CONTRACTS["orders"], warehouse_load="glue")
GLUE_ROLE = "arn:aws:iam::123456789012:role/lakehouse-glue-load"


def _batch(dt: DeltaTable, load_id: int, loaded_at: datetime, loaded: set[str] = frozenset()):
    snap = snapshot_of(dt, "orders")
    plan = plan_load(snap, set(loaded))
    batch = LoadBatch("orders", snap.version, plan.add, plan.remove, snap.files, 0, load_id, loaded_at)
    return snap, batch


def _utc(v):
    return v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) and v.tzinfo else v


def _keyed(rows: list[dict], drop=("_load_id", "_loaded_at")) -> dict[int, dict]:
    return {r["order_id"]: {k: _utc(v) for k, v in r.items() if k not in drop} for r in rows}


@pytest.mark.slow
def test_the_glue_transform_gives_the_rows_the_loader_copies(spark, tmp_path):
    lake_root = tmp_path / "lake"
    uri = str(lake_root / "curated" / "orders")
    rows = shop_rows(600)["orders"]
    write_deltalake(uri, curated_table("orders", rows[:300]), mode="overwrite")
    write_deltalake(uri, curated_table("orders", rows[300:]), mode="append")
    warehouse = str(tmp_path / "w.duckdb")
    loader = DuckDBCuratedLoader(path=warehouse)
    loader.load(Lake(str(lake_root)), [ORDERS])  # DuckDB reads every table in place
    changed = [(r[0], r[1], "cancelled", *r[3:]) for r in rows[10:40]]
    merge_curated(lake_root, "orders", upserts=changed, deletes=[r[0] for r in rows[500:520]])
    second = loader.load(Lake(str(lake_root)), [ORDERS])
    assert second[0].files_removed > 0  # the MERGE rewrote files: their rows left the copy
    assert loader.load(Lake(str(lake_root)), [ORDERS])[0].unchanged
    with duckdb.connect(warehouse, read_only=True) as db:
        cur = db.execute("select * from curated.orders")
        names = [d[0] for d in cur.description]
        expected = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    c = curated_copy(ORDERS)
    loaded_at = datetime(2026, 3, 1, 8, 30, 0, 123456)
    snap, batch = _batch(DeltaTable(uri), 7, loaded_at)
    m = json.loads(json.dumps(manifest(c, batch, snap, SnowflakeDialect(SnowflakeStages()))))
    got_df = copy_rows(spark, m)
    assert got_df.columns == [n for n, _ in c.all_columns()]
    got = got_df.toArrow().to_pylist()
    assert len(got) == len(expected) == len(rows) - 20
    assert sum(r["status"] == "cancelled" for r in got) >= 30
    mine, theirs = _keyed(got), _keyed(expected)
    assert mine.keys() == theirs.keys()
    assert [k for k in mine if mine[k] != theirs[k]] == []
    assert {(r["_load_id"], _utc(r["_loaded_at"])) for r in got} == {(7, loaded_at)}


def test_the_glue_jobs_sql_is_the_loaders_own():
    c = curated_copy(ORDERS)
    dialect = SnowflakeDialect(SnowflakeStages("s3://lake"))
    at = datetime(2026, 3, 1, 8, 30)
    batch = LoadBatch(
        "orders", 4, ("b.parquet", "c.parquet"), ("a.parquet",), {"b.parquet": 5, "c.parquet": 6}, 3, 9, at
    )
    copy_path = dialect.load(c, batch, lambda p: p)

    class Snapshot:  # where the files are: only what the manifest asks of a snapshot
        @staticmethod
        def file_uri(p: str) -> str:
            return f"s3://lake/curated/orders/{p}"

    m = manifest(c, batch, Snapshot(), dialect)
    # the COPY path's deletes (here of the added files' rows too: a retried run never doubles
    # them) and its load log, around the Glue job's write
    assert m["preactions"] == dialect.removals(c, [*batch.remove, *batch.add], batch)
    assert all(f"'orders/{f}'" in m["preactions"][0] for f in ("a.parquet", "b.parquet", "c.parquet"))
    assert set(m["postactions"]) <= set(copy_path) and len(m["postactions"]) == 2
    assert [f["uri"] for f in m["files"]] == [
        "s3://lake/curated/orders/b.parquet",
        "s3://lake/curated/orders/c.parquet",
    ]


@pytest.fixture
def prod_env(s3_lake, moto_endpoint, fakesnow_server, monkeypatch, tmp_path):
    import snowflake.connector

    s = fakesnow_server
    database = "GLUELOAD"
    with snowflake.connector.connect(
        account=s["account"],
        user=s["user"],
        password=s["password"],
        host=s["host"],
        port=s["port"],
        protocol=s["protocol"],
    ) as con:
        con.cursor().execute(f"create database if not exists {database}")
    env = {
        "PLATFORM_ENV": "prod",
        "PLATFORM_HOME": str(tmp_path / "home"),
        "PLATFORM_LAKE_URI": s3_lake.root,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "PLATFORM_PII_HASH_KEY": "glue-load-test-key-" + "k" * 20,
        "SNOWFLAKE_ACCOUNT": s["account"],
        "SNOWFLAKE_USER": s["user"],
        "SNOWFLAKE_PASSWORD": s["password"],
        "SNOWFLAKE_DATABASE": database,
        "SNOWFLAKE_WAREHOUSE": "LOADING",
        "SNOWFLAKE_ROLE": "SYSADMIN",
        "SNOWFLAKE_HOST": s["host"],
        "SNOWFLAKE_PORT": str(s["port"]),
        "SNOWFLAKE_PROTOCOL": s["protocol"],
        "PLATFORM_WAREHOUSE_EMULATOR": "fakesnow",
        "PLATFORM_GLUE_LOAD_ROLE": GLUE_ROLE,
        "PLATFORM_GLUE_LOAD_CONNECTIONS": "lakehouse-snowflake-network",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return s3_lake


@pytest.mark.slow  # ~30 s: Pipes waits out its S3 message reader (moto runs no script)
def test_a_glue_selected_table_loads_through_pipes_glue_client_in_prod(prod_env, moto_endpoint):
    from dagster import AssetKey, materialize

    from platform_assets.profile import resources_for
    from platform_assets.warehouse.curated_copies import copies_asset
    from platform_assets.warehouse.keys import copy_key

    lake = prod_env
    uri = lake.delta_uri("curated", "orders")
    rows = shop_rows(600)["orders"]
    for part in (rows[:200], rows[200:400], rows[400:]):
        write_deltalake(
            uri, curated_table("orders", part), mode="append", storage_options=lake.storage_options
        )
    c = curated_copy(ORDERS)
    key = copy_key(c.schema, c.name)
    asset = copies_asset({key: (c, ORDERS.owner)}, name="glue_copies")
    resources = resources_for("prod")
    glue = boto3.client("glue", endpoint_url=moto_endpoint, region_name="us-east-1")
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")

    def materialized() -> dict:
        result = materialize([asset], resources={k: resources[k] for k in ("lake", "warehouse_loader")})
        assert result.success
        (m,) = [e.materialization for e in result.get_asset_materialization_events()]
        assert m.asset_key == key
        return {k: v.value for k, v in m.metadata.items()}

    first = materialized()
    job = glue.get_job(JobName="lakehouse-warehouse-load")["Job"]
    assert job["Role"] == GLUE_ROLE and job["GlueVersion"] == "5.0" and job["WorkerType"] == "G.1X"
    assert job["Command"]["Name"] == "glueetl"
    assert job["Connections"]["Connections"] == ["lakehouse-snowflake-network"]
    script = job["Command"]["ScriptLocation"]
    assert script == f"{lake.root}/_jobs/glue/warehouse_load.py"
    bucket, _, script_key = script.removeprefix("s3://").partition("/")
    from platform_assets.warehouse.glue.launcher import SCRIPT

    assert s3.get_object(Bucket=bucket, Key=script_key)["Body"].read() == SCRIPT.read_bytes()

    (run,) = glue.get_job_runs(JobName="lakehouse-warehouse-load")["JobRuns"]
    assert first["load_path"] == "glue" and first["glue_job_definition"] == "created"
    assert first["glue_job_run_id"] == run["Id"] and first["glue_job_run_state"] == "SUCCEEDED"
    assert first["glue_job_run_url"].endswith(f"/job/lakehouse-warehouse-load/run/{run['Id']}")
    args = run["Arguments"]
    assert args["--manifest"] == first["glue_manifest"] and args["--table"] == "curated.orders"
    assert {"--dagster-pipes-context", "--dagster-pipes-messages"} <= set(args)
    assert args["--snowflake_secret"] == "lakehouse/snowflake-loader"  # the job's default argument
    _, _, manifest_key = first["glue_manifest"].removeprefix("s3://").partition("/")
    m = json.loads(s3.get_object(Bucket=bucket, Key=manifest_key)["Body"].read())
    live = snapshot_of(DeltaTable(uri, storage_options=lake.storage_options), "orders").files
    assert sorted(f["path"] for f in m["files"]) == sorted(live) and len(live) == 3
    assert sum(f["rows"] for f in m["files"]) == len(rows) == first["rows_added"]
    assert m["relation"] == "curated.orders" and m["load_id"] == first["load_id"]

    # again: moto ran no script, so nothing was recorded: the same files go to a second run of
    # the same job (not a second job), with the same manifest of files
    second = materialized()
    runs = glue.get_job_runs(JobName="lakehouse-warehouse-load")["JobRuns"]
    assert len(runs) == 2 and second["glue_job_definition"] == "found"
    assert (
        second["glue_job_run_id"] != first["glue_job_run_id"] and second["glue_job_run_state"] == "SUCCEEDED"
    )
    assert [j["Name"] for j in glue.get_jobs()["Jobs"]] == ["lakehouse-warehouse-load"]
    _, _, again_key = second["glue_manifest"].removeprefix("s3://").partition("/")
    again = json.loads(s3.get_object(Bucket=bucket, Key=again_key)["Body"].read())
    assert again["files"] == m["files"]
    assert AssetKey(["warehouse", "curated", "orders"]) == key
