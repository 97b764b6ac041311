"""`lakehouse prod up|down|status` end to end: the whole graph with PLATFORM_ENV=prod on local
protocol servers, and its marts equal to a `local` build of the same data.

One bring-up for the module (the costly part: every test here asserts on it). `prod up` starts
its own moto server (the lake on S3, the metadata table, the stream, Glue, CloudWatch) and
fakesnow server (Snowflake, its stages reading moto's S3) in a temporary platform home, seeds
a 1,000-order shop on the session's Postgres, provisions, takes the full load into DMS files on
S3, lands a day of clickstream, and runs the main job in process: processed and curated Delta on
S3 -> COPY INTO Snowflake -> dbt marts on Snowflake. Then:

- the marts equal a `local` build of the same lake (the lake's processed and curated zones
  copied from S3, loaded into DuckDB, dbt's `local` target): each mart's row count and totals,
  as the parity test compares;
- a second `up` reuses the servers and creates, loads and changes nothing (row counts and Delta
  versions equal);
- one CDC round (a workload on Postgres, captured into the lake on S3, the graph run again in
  process with the definitions' own prod resources): the marts still equal a local build, and
  every mart's materialization records its row count;
- `prod down` stops every process `up` started and removes the environment file.

The pieces have their own fast tests in tests/test_prod_trial.py.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path
from types import SimpleNamespace

import boto3
import duckdb
import psycopg
import pytest
from dagster import AssetKey, DagsterInstance
from servers import process_gone
from warehouse_data import EVENT_MARTS, MART_TOTALS, MARTS

from platform_assets.cli import main
from platform_assets.contracts import CONTRACTS
from platform_assets.contracts.events import EVENTS
from platform_assets.lake import Lake
from platform_assets.provision import servers
from platform_assets.provision.trial_env import TRIAL_LAKE_URI, read_env_file
from platform_assets.settings import DBT_PROJECT_DIR, environment_overlay
from platform_assets.warehouse.load_sql import curated_copy, events_copy
from platform_assets.warehouse.loader import DuckDBCuratedLoader
from platform_assets.warehouse.project import dbt_executable

# one bring-up does what two tests did, each under the suite's 600 s: the fixture gets the sum
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]
ORDERS = 1_000
ALL_MARTS = [*MARTS, *EVENT_MARTS]


# -- what the tests compare -------------------------------------------------------------------
def _env(home: Path) -> dict[str, str]:
    return read_env_file(home / ".platform" / "prod-trial.env")


def _trial_state(home: Path) -> dict:
    """Rows and versions of every Delta table on moto's S3 and rows of every mart."""
    from platform_assets.provision.trial import _prod_lake
    from platform_assets.provision.trial_summary import delta_states, mart_states

    with environment_overlay(_env(home)):
        lake = _prod_lake()
        return {
            "delta": {s.name: (s.rows, s.version) for s in delta_states(lake)},
            "marts": {s.name: s.rows for s in mart_states()},
        }


def _profile(one) -> dict:
    """Each mart's row count and (where it has one) its total, in cents."""
    return {
        m: (
            one(f"select count(*) from marts.{m}"),  # noqa: S608 -- the project's mart names
            round(float(one(f"select coalesce(sum({MART_TOTALS[m]}), 0) from marts.{m}")) * 100)  # noqa: S608 -- the project's mart and column names
            if m in MART_TOTALS
            else None,
        )
        for m in ALL_MARTS
    }


def _snowflake_profile(home: Path) -> dict:
    from platform_assets.warehouse.resources import snowflake_resource

    with environment_overlay(_env(home)):
        with snowflake_resource().process_config_and_initialize().get_connection() as con:
            cur = con.cursor()

            def one(sql):
                cur.execute(sql)
                return cur.fetchone()[0]

            return _profile(one)


def _copy_lake(home: Path, target: Path) -> Path:
    """The processed and curated zones of the trial's lake on moto's S3, copied to `target`."""
    env = _env(home)
    s3 = boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    bucket, prefix = TRIAL_LAKE_URI.removeprefix("s3://").split("/", 1)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/"):
        for obj in page.get("Contents", []):
            relative = obj["Key"].removeprefix(f"{prefix}/")
            if relative.split("/")[0] in ("processed", "curated"):
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, obj["Key"], str(target / relative))
    return target


def _local_profile(lake_root: Path, tmp: Path) -> dict:
    """The marts of a `local` build (DuckDB, dbt's local target) of the lake at `lake_root`."""
    import subprocess

    warehouse = tmp / "local.duckdb"
    DuckDBCuratedLoader(path=str(warehouse)).load(
        Lake(str(lake_root)), [*(curated_copy(c) for c in CONTRACTS.values()), events_copy(EVENTS)]
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


def _prod_and_local(home: Path, tmp: Path) -> tuple[dict, dict]:
    tmp.mkdir(parents=True)
    return _snowflake_profile(home), _local_profile(_copy_lake(home, tmp / "lake"), tmp)


# -- the steps --------------------------------------------------------------------------------
def _cli(*args: str) -> SimpleNamespace:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return SimpleNamespace(code=code, out=out.getvalue(), err=err.getvalue())


def _graph_keys() -> set[AssetKey]:
    """The data platform's graph; ML (SageMaker: tests/test_ml_sagemaker.py) and the dashboards
    (Snowflake and QuickSight: tests/test_dashboards_*.py) are tested in prod on their own."""
    from platform_assets.definitions import build_definitions

    graph = build_definitions().get_repository_def().asset_graph
    return {
        k
        for k in graph.materializable_asset_keys
        if graph.get(k).group_name not in ("ml", "dashboards") and k.path[-1] != "dbt_docs"
    }


def _cdc_round(home: Path, dsn: str) -> DagsterInstance:
    """A workload on Postgres, captured into the lake on S3, then the graph in process with the
    definitions' own prod resources; the instance that recorded the run."""
    from platform_assets.definitions import build_definitions
    from platform_assets.provision.trial import _prod_lake
    from platform_assets.raw.cdc_capture.capture import capture_until_empty
    from platform_assets.sources.oltp.workload import run_workload

    with psycopg.connect(dsn) as conn:
        run_workload(conn, 150, seed=8)
    instance = DagsterInstance.ephemeral()
    with environment_overlay(_env(home)):
        assert capture_until_empty(dsn, _prod_lake())
        job = build_definitions().resolve_job_def("lakehouse_pipeline")
        result = job.get_subset(asset_selection=_graph_keys()).execute_in_process(
            instance=instance, raise_on_error=False
        )
    failed = [
        e.step_key + ": " + str(e.event_specific_data.error.message)[-1500:]
        for e in result.all_events
        if e.is_step_failure
    ]
    assert result.success, failed
    return instance


@pytest.fixture(scope="module")
def trial(module_pg_dsn, tmp_path_factory):
    """`prod up`, its marts against a local build, `prod up` again, a CDC round and its marts
    against a local build, `prod down`: everything the tests below assert on."""
    tmp = tmp_path_factory.mktemp("prod_trial")
    t = SimpleNamespace(home=tmp / "home")
    with pytest.MonkeyPatch.context() as mp:
        for name in ("PLATFORM_ENV", "PLATFORM_LAKE_URI", "DAGSTER_HOME", "AWS_ENDPOINT_URL"):
            mp.delenv(name, raising=False)
        mp.setenv("PLATFORM_HOME", str(t.home))
        mp.setenv("PLATFORM_OLTP_DSN", module_pg_dsn)  # the session's Postgres, seeded by `up`
        mp.setenv("DBT_LOG_PATH", str(tmp / "dbt-logs"))
        try:
            t.first = _cli("prod", "up", "--orders", str(ORDERS))
            assert t.first.code == 0, t.first.err[-3000:]
            state = t.home / ".platform" / "prod-trial"
            t.pids = [servers.running(state, n).pid for n in ("moto", "fakesnow")]
            t.first_state = _trial_state(t.home)
            t.full_load = _prod_and_local(t.home, tmp / "full-load")

            t.second = _cli("prod", "up", "--orders", str(ORDERS))
            assert t.second.code == 0, t.second.err[-3000:]
            t.second_state = _trial_state(t.home)
            t.status_up = _cli("prod", "status")

            t.instance = _cdc_round(t.home, module_pg_dsn)
            t.cdc = _prod_and_local(t.home, tmp / "cdc")
        finally:
            t.down = _cli("prod", "down")
        t.status_down = _cli("prod", "status")
        t.platform_env_after = os.environ.get("PLATFORM_ENV")
    return t


# -- the tests --------------------------------------------------------------------------------
def test_prod_up_starts_the_servers_provisions_and_runs_the_graph(trial):
    out = trial.first.out
    assert "moto server: http://127.0.0.1:" in out and "created: S3 bucket" in out
    assert "V001__database_and_history" in out  # the warehouse's provisioners ran
    assert f"set -a; . {trial.home}/.platform/prod-trial.env; make dev" in out
    first = trial.first_state
    assert all(rows and rows > 0 for rows, _ in first["delta"].values()), first["delta"]
    assert all(rows and rows > 0 for rows in first["marts"].values()), first["marts"]
    assert first["delta"]["processed.orders"][0] == ORDERS


def test_a_second_up_reuses_the_servers_and_changes_nothing(trial):
    out = trial.second.out
    assert "(pid" in out and out.count("already running") == 2
    assert "created:" not in out and "updated:" not in out
    assert out.count("already in the raw zone") == len(CONTRACTS)
    assert "clickstream: already landed" in out
    assert trial.second_state == trial.first_state
    assert trial.status_up.code == 0
    assert trial.status_up.out.count("running at http://127.0.0.1:") == 2


@pytest.mark.parametrize("round_", ["full_load", "cdc"])
def test_prod_marts_equal_a_local_build(trial, round_):
    prod, local = getattr(trial, round_)
    assert prod == local, round_
    assert all(n > 0 for n, _ in prod.values()), round_


def test_the_cdc_round_reached_the_marts(trial):
    assert trial.cdc[0] != trial.full_load[0]


def test_every_mart_records_its_row_count(trial):
    events = [
        e
        for e in trial.instance.get_latest_materialization_events(
            {AssetKey(["warehouse", m]) for m in ALL_MARTS}
        ).values()
        if e
    ]
    assert len(events) == len(ALL_MARTS)
    for event in events:
        assert "dagster/row_count" in event.asset_materialization.metadata, (
            event.asset_materialization.asset_key
        )


def test_prod_down_stops_every_process_up_started(trial):
    assert trial.down.code == 0
    assert "moto server: stopped" in trial.down.out and "fakesnow server: stopped" in trial.down.out
    assert all(process_gone(pid) for pid in trial.pids)
    assert not (trial.home / ".platform" / "prod-trial.env").exists()
    assert trial.status_down.code == 0
    assert trial.status_down.out.count("not running") == 2
    assert trial.platform_env_after is None  # `up` restored the test's environment
