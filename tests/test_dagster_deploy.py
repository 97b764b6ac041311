"""Dagster's own `prod` deployment (deploy/): the instance configuration loaded by Dagster
itself, its run queue and concurrency equal to the local instance's, and a materialization on
an instance whose storage is the embedded Postgres (dagster-postgres), read back from it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import psycopg
import pytest
import yaml
from dagster import AssetKey, DagsterInstance, MaterializeResult, asset, materialize
from dagster._core.instance.config import dagster_instance_config
from dagster_aws.ecs import EcsRunLauncher
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

ROOT = Path(__file__).parents[1]
DEPLOY = ROOT / "deploy"
SHARED = ("run_coordinator", "concurrency", "run_monitoring")


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def test_the_prod_instance_queues_and_limits_runs_as_the_local_one():
    prod, local = _yaml(DEPLOY / "dagster.prod.yaml"), _yaml(ROOT / "dagster.yaml")
    assert {k: prod[k] for k in SHARED} == {k: local[k] for k in SHARED}
    assert prod["storage"].keys() == {"postgres"}
    assert (prod["run_launcher"]["module"], prod["run_launcher"]["class"]) == (
        "dagster_aws.ecs",
        "EcsRunLauncher",
    )


def test_the_webserver_and_daemon_reach_the_code_server_the_image_starts():
    workspace = _yaml(DEPLOY / "workspace.yaml")["load_from"][0]["grpc_server"]
    cmd = next(line for line in (DEPLOY / "Dockerfile").read_text().splitlines() if line.startswith("CMD"))
    assert f'"-p", "{workspace["port"]}"' in cmd and '"-m", "platform_assets.definitions"' in cmd
    services = _yaml(DEPLOY / "services.yaml")["services"]
    assert {"code", "webserver", "daemon"} <= services.keys()
    assert services["code"]["command"] == yaml.safe_load(cmd.removeprefix("CMD "))
    for name in ("webserver", "daemon"):
        assert "/opt/dagster/workspace.yaml" in services[name]["command"]


@pytest.fixture
def prod_instance_home(pg_dsn, tmp_path, monkeypatch) -> Path:
    """deploy/dagster.prod.yaml as DAGSTER_HOME's dagster.yaml, with the Postgres settings
    pointed at the embedded server. What differs, and why: the embedded server listens on a
    Unix socket only (so `params.host` names it, without TLS), and compute logs stay local
    (no S3 here). The ECS run launcher is kept: it is built (boto3 clients, no call) but never
    launches, since `materialize` runs in process; no ECS runs here."""
    url = urlparse(pg_dsn)
    for k, v in {
        "DAGSTER_PG_USERNAME": url.username,
        "DAGSTER_PG_PASSWORD": "unused",  # pgserver trusts local connections
        "DAGSTER_PG_HOST": "",
        "DAGSTER_PG_DB": url.path.lstrip("/"),
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(k, v)
    config = _yaml(DEPLOY / "dagster.prod.yaml")
    db = config["storage"]["postgres"]["postgres_db"]
    db["params"] = {"host": parse_qs(url.query)["host"][0]}
    db["hostname"] = ""  # libpq takes the socket from params; dagster's StringSource wants a str
    config["compute_logs"] = {
        "module": "dagster.core.storage.local_compute_log_manager",
        "class": "LocalComputeLogManager",
        "config": {"base_dir": str(tmp_path / "logs")},
    }
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    return home


@asset(key=["deploy_check", "orders_delta"])
def orders_delta(context) -> MaterializeResult:
    """A small real asset: a Delta table of a thousand orders in three partitions."""
    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake

    path = _TABLE_PATH[0]
    rows = pa.table({"order_id": list(range(1000)), "day": [f"2026-03-0{i % 3 + 1}" for i in range(1000)]})
    write_deltalake(path, rows, mode="overwrite", partition_by=["day"])
    table = DeltaTable(path)
    return MaterializeResult(metadata={"rows": table.to_pyarrow_table().num_rows, "version": table.version()})


_TABLE_PATH: list[str] = []


@pytest.mark.slow  # Postgres storage's schema created on first use, two runs: ~10-20 s
def test_a_materialization_on_the_postgres_backed_prod_instance(prod_instance_home, pg_dsn, tmp_path):
    _TABLE_PATH[:] = [str(tmp_path / "orders_delta")]
    key = AssetKey(["deploy_check", "orders_delta"])
    # the file as shipped, through Dagster's own schema (every section, the launcher's too)
    dagster_instance_config(str(DEPLOY), "dagster.prod.yaml")
    with DagsterInstance.from_config(str(prod_instance_home)) as instance:
        assert isinstance(instance.run_launcher, EcsRunLauncher)
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        for _ in range(2):
            assert materialize([orders_delta], instance=instance).success

    # read back through a new instance on the same storage, and in Postgres itself
    with DagsterInstance.from_config(str(prod_instance_home)) as instance:
        events = instance.fetch_materializations(key, limit=10).records
        assert [e.asset_materialization.metadata["version"].value for e in events] == [1, 0]
        assert {e.asset_materialization.metadata["rows"].value for e in events} == {1000}
        runs = instance.get_runs()
        assert len(runs) == 2 and all(r.is_success for r in runs)
    with psycopg.connect(pg_dsn) as conn:
        stored = conn.execute(
            "select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION' "
            "and asset_key = %s",
            (key.to_string(),),
        ).fetchone()[0]
        assert stored == 2
        assert conn.execute("select count(*) from runs").fetchone()[0] == 2
