"""The processed zone's engines: the Spark job through Dagster Pipes, its SQL, its Databricks spec.

Fast tests: every generated Spark SQL statement parses with sqlglot's Spark dialect; the
Databricks job spec validates; the engine is a per-profile resource setting; a watermark that
Spark wrote into `userMetadata` is read back. Slow tests (one real PySpark session in a
subprocess, the others fail before Spark starts): the asset through `PipesSubprocessClient`
with its metadata, twice; a job that fails and one that is killed fail the asset with the
error in the run's log.
"""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot
from dagster import AssetKey, DagsterInstance, materialize
from dms_files import dms_seq, product_row, write_dms
from sqlglot import exp

from platform_assets.contracts import CONTRACTS, contract
from platform_assets.lake import Lake
from platform_assets.processed.apply import apply_pending
from platform_assets.processed.assets import processed_assets
from platform_assets.processed.compute import spark_sql
from platform_assets.processed.compute.engine import JOB_MODULE, ProcessedEngine
from platform_assets.processed.delta import WATERMARK_KEY
from platform_assets.resources import LakeResource
from platform_assets.storage.delta import committed_value, open_table

PRODUCTS = contract("products")


def _parse(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read="spark", error_level=sqlglot.ErrorLevel.RAISE)


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_every_merge_parses_with_the_spark_dialect_and_says_what_the_apply_does(name):
    c = CONTRACTS[name]
    sql = spark_sql.merge_sql(
        c, f"s3://lake/processed/{name}", f"folded_{name}", [3, 0], extra=("loyalty_tier",)
    )
    merge = _parse(sql)
    assert isinstance(merge, exp.Merge)
    on = merge.args["on"].sql("spark")
    assert f"t.`{c.key}` = s.`{c.key}`" in on and "t.`_key_bucket` IN (0, 3)" in on
    whens = merge.args["whens"].expressions
    assert [w.args["then"].__class__.__name__ for w in whens] == ["Var", "Update", "Insert"]
    assert "s.`_op` = 'D'" in whens[0].args["condition"].sql("spark")
    inserted = [col.name for col in whens[2].args["then"].this.expressions]
    assert inserted == [*c.column_names, "_commit_ts", "loyalty_tier", "_key_bucket"]
    assert "_op" not in inserted and "_pos" not in inserted
    updated = [e.this.name for e in whens[1].args["then"].expressions]
    assert c.key not in updated and "_pos" not in updated and "_commit_ts" in updated


def test_alter_optimize_and_vacuum_parse_with_the_spark_dialect():
    alter = _parse(
        spark_sql.add_columns_sql("s3://lake/processed/orders", {"loyalty_tier": "string", "score": "double"})
    )
    assert isinstance(alter, exp.Alter)
    assert [d.name for d in alter.find_all(exp.ColumnDef)] == ["loyalty_tier", "score"]
    for c in CONTRACTS.values():
        uri = f"s3://lake/processed/{c.name}"
        for sql, word in (
            (spark_sql.zorder_sql(uri, c.clustering), "OPTIMIZE"),
            (spark_sql.vacuum_sql(uri, c.vacuum_retention_hours), "VACUUM"),
        ):
            # Delta's own statements: sqlglot keeps them as commands; their parts must parse
            command = _parse(sql)
            assert isinstance(command, exp.Command) and command.this == word
            rest = command.expression.name
            table = _parse(f"SELECT * FROM {rest.split(' ', 1)[0]}").find(exp.Table)  # noqa: S608 -- parsed by sqlglot, never run
            assert (table.db, table.name) == ("delta", uri)
            if word == "OPTIMIZE":
                cols = _parse("SELECT " + rest.split("ZORDER BY (", 1)[1].rstrip(")"))
                assert tuple(e.name for e in cols.expressions) == c.clustering
            else:
                assert rest.endswith(f"RETAIN {c.vacuum_retention_hours} HOURS")
    with pytest.raises(ValueError, match="clustering"):
        spark_sql.zorder_sql("s3://x", ())


def test_the_databricks_job_spec_validates_without_calling_databricks():
    from databricks.sdk.service import jobs

    engine = ProcessedEngine(
        kind="databricks",
        databricks_host="https://x.cloud.databricks.com",
        databricks_token="t",
        wheel="dbfs:/lakehouse/platform.whl",
        min_workers=2,
        max_workers=10,
        instance_profile_arn="arn:aws:iam::1:instance-profile/lake",
    )
    task = engine.submit_task(PRODUCTS)
    d = task.as_dict()
    assert jobs.SubmitTask.from_dict(d).as_dict() == d  # round-trips through the SDK's types
    assert d["task_key"] == "lakehouse_processed_products_apply"
    cluster = d["new_cluster"]
    assert cluster["spark_version"] and cluster["node_type_id"]
    assert cluster["autoscale"] == {"min_workers": 2, "max_workers": 10}
    assert cluster["spark_conf"]["spark.sql.session.timeZone"] == "UTC"
    assert cluster["aws_attributes"]["instance_profile_arn"].endswith("instance-profile/lake")
    assert d["spark_python_task"]["python_file"] == engine.job_python_file
    assert d["spark_python_task"]["parameters"] == ["--commit", "spark-sql", "--pipes", "dbfs"]
    assert d["libraries"] == [{"whl": "dbfs:/lakehouse/platform.whl"}]
    # what PipesDatabricksClient does with it: a new cluster gets the Pipes bootstrap as env
    from dagster_databricks import PipesDatabricksClient

    assert "existing_cluster_id" not in d and PipesDatabricksClient
    # the job script parses its Databricks arguments
    from platform_assets.processed.compute.spark_job import _args

    args = _args(d["spark_python_task"]["parameters"])
    assert (args.commit, args.pipes) == ("spark-sql", "dbfs")


def test_the_engine_is_a_setting_of_the_profile(monkeypatch, tmp_path):
    from dagster import EnvVar

    from platform_assets.profile import resources_for

    monkeypatch.setenv("PLATFORM_HOME", str(tmp_path))
    assert resources_for("local")["processed_engine"].kind == "delta-rs"
    monkeypatch.setenv("PLATFORM_PROCESSED_ENGINE", "databricks")
    monkeypatch.setenv("PLATFORM_DATABRICKS_HOST", "https://x.cloud.databricks.com")
    monkeypatch.setenv("PLATFORM_DATABRICKS_TOKEN", "secret")
    prod = resources_for("prod")["processed_engine"]
    assert prod.kind == "databricks"
    assert prod.databricks_token == EnvVar("PLATFORM_DATABRICKS_TOKEN")  # never the value
    monkeypatch.setenv("PLATFORM_PROCESSED_ENGINE", "spark")
    with pytest.raises(Exception, match="delta-rs"):
        resources_for("prod")


def test_a_watermark_spark_wrote_in_user_metadata_is_the_committed_one(lake):
    from deltalake import CommitProperties, write_deltalake

    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 11)])
    apply_pending(lake, PRODUCTS)
    dt = open_table(lake, "processed", "products")
    before = committed_value(lake, dt, WATERMARK_KEY)
    assert before.startswith("0")
    # a commit as Delta on Spark writes it (spark_sql.USER_METADATA_CONF)
    later = "1" + "9" * 17 + "S" + "0" * 35
    write_deltalake(
        dt.table_uri,
        dt.to_pyarrow_table().slice(0, 0),
        mode="append",
        commit_properties=CommitProperties(
            custom_metadata={"userMetadata": spark_sql.commit_metadata({WATERMARK_KEY: later})}
        ),
    )
    dt.update_incremental()
    assert committed_value(lake, dt, WATERMARK_KEY) == later


# -- the job through Pipes, in process -------------------------------------------------------


def _run(lake: Lake, engine: ProcessedEngine, instance: DagsterInstance | None = None):
    instance = instance or DagsterInstance.ephemeral()
    assets = [a for a in processed_assets if a.key == AssetKey(["processed", "products"])]
    result = materialize(
        assets,
        instance=instance,
        raise_on_error=False,
        resources={"lake": LakeResource(root=lake.root), "processed_engine": engine},
    )
    return result, instance


def _log_text(result, instance: DagsterInstance) -> str:
    """Every message of the run's log (the job's Pipes logs included) and every error."""
    parts = []
    for entry in instance.all_logs(result.run_id):
        parts.append(entry.user_message or "")
        data = entry.dagster_event.event_specific_data if entry.dagster_event else None
        for err in (getattr(data, "error", None), getattr(data, "error_info", None)):
            while err is not None:
                parts.append(err.message)
                err = err.cause
    return "\n".join(parts)


def _write_history(lake: Lake) -> None:
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 801)])
    write_dms(lake, "products", "LOAD00000002", [product_row(i) for i in range(801, 1001)], fmt="csv.gz")
    from datetime import timedelta

    from dms_files import T0

    ts = [T0 + timedelta(minutes=1, microseconds=i) for i in range(300)]
    write_dms(
        lake,
        "products",
        "20261127-080100000",
        [product_row(i, "2.50") for i in range(100, 400)],
        ops=["D" if i % 7 == 0 else "U" for i in range(100, 400)],
        commit_ts=ts,
        change_seqs=[dms_seq(t, i) for i, t in enumerate(ts)],
    )


@pytest.mark.slow
def test_spark_pipes_engine_applies_a_table_with_its_metadata_and_twice_changes_nothing(lake, tmp_path):
    _write_history(lake)
    shutil.copytree(lake.root, tmp_path / "copy")
    engine = ProcessedEngine(kind="spark-pipes")
    result, instance = _run(lake, engine)
    assert result.success, _log_text(result, instance)
    meta = instance.get_latest_materialization_event(
        AssetKey(["processed", "products"])
    ).asset_materialization.metadata
    assert meta["engine"].value == "spark (delta-rs commit)"
    assert meta["files_applied"].value == 3
    assert meta["changes_read"].value == 1300  # rows read
    assert meta["rows_folded"].value == 1000
    expected = apply_pending(Lake(str(tmp_path / "copy")), PRODUCTS)
    assert meta["delta_version"].value == expected.delta_version == 1
    assert meta["watermark"].value == expected.watermark
    rows = open_table(lake, "processed", "products").to_pyarrow_table().sort_by("product_id")
    theirs = open_table(Lake(str(tmp_path / "copy")), "processed", "products")
    assert rows.to_pylist() == theirs.to_pyarrow_table().sort_by("product_id").to_pylist()
    assert meta["rows"].value == rows.num_rows == 1000 - 43
    assert "spark_job started" in _log_text(result, instance)

    again, instance = _run(lake, engine)  # nothing pending: no Spark session, no new version
    assert again.success
    meta = instance.get_latest_materialization_event(
        AssetKey(["processed", "products"])
    ).asset_materialization.metadata
    assert meta["files_applied"].value == 0 and meta["delta_version"].value == 1
    assert "Spark not started" in _log_text(again, instance)


@pytest.mark.slow
def test_a_job_that_fails_fails_the_asset_with_its_own_error_in_the_run_log(lake):
    # a breaking source change: the job's shared checks stop the table
    folder = lake.raw_cdc_prefix("public", "products")
    Path(folder).mkdir(parents=True)
    pq.write_table(pa.table({"sku": ["SKU-1"], "name": ["mug"]}), f"{folder}/LOAD00000001.parquet")
    result, instance = _run(lake, ProcessedEngine(kind="spark-pipes"))
    assert not result.success
    text = _log_text(result, instance)
    assert "key column 'product_id' is missing from LOAD00000001.parquet" in text  # the job's
    assert "the spark-pipes job failed: External execution process failed with code 1" in text


def _kill_when_started(found: dict) -> None:
    """SIGKILL the job subprocess once it has reported that it started (its Pipes messages)."""
    from dagster_pipes import decode_param

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmd = (proc / "cmdline").read_bytes().split(b"\0")
                if JOB_MODULE.encode() not in cmd:
                    continue
                env = dict(
                    kv.split(b"=", 1) for kv in (proc / "environ").read_bytes().split(b"\0") if b"=" in kv
                )
            except OSError:
                continue
            params = decode_param(env[b"DAGSTER_PIPES_MESSAGES"].decode())
            path = Path(params["path"])
            if path.exists() and "spark_job started" in path.read_text():
                os.kill(int(proc.name), signal.SIGKILL)
                found["pid"] = int(proc.name)
                return
        time.sleep(0.05)


@pytest.mark.slow
def test_a_killed_job_fails_the_asset_and_says_so(lake):
    _write_history(lake)
    found: dict = {}
    killer = threading.Thread(target=_kill_when_started, args=(found,))
    killer.start()
    result, instance = _run(lake, ProcessedEngine(kind="spark-pipes"))
    killer.join()
    assert found, "the job never reported that it started"
    assert not result.success
    assert "failed with code -9 (killed by SIGKILL)" in _log_text(result, instance)
    # nothing half-done: the table was not written, the files are still pending
    assert (
        open_table(lake, "processed", "products") is None
        or open_table(lake, "processed", "products").version() == 0
    )
    assert apply_pending(lake, PRODUCTS).files_applied == [
        "LOAD00000001.parquet",
        "LOAD00000002.csv.gz",
        "20261127-080100000.parquet",
    ]
