"""Shared fixtures: a real embedded Postgres (one per test session) and a fresh lake per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from servers import stop_server

from platform_assets.lake import Lake
from platform_assets.sources.oltp.server import start_embedded, stop_embedded


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory) -> str:
    """DSN of the embedded Postgres server for the whole session (logical decoding on)."""
    data_dir = Path(tmp_path_factory.mktemp("pg")) / "pg"
    dsn = start_embedded(data_dir)
    yield dsn
    stop_embedded(data_dir)


def _drop_slots(conn, name: str) -> None:
    for (slot,) in conn.execute(
        "SELECT slot_name FROM pg_replication_slots WHERE database = %s", (name,)
    ).fetchall():
        conn.execute("SELECT pg_drop_replication_slot(%s)", (slot,))


def fresh_database(pg_server: str, node_name: str) -> Iterator[str]:
    """A new, empty database on the session server named after a test (or a module); yields its
    DSN and frees its replication slots afterwards."""
    name = "t_" + "".join(ch if ch.isalnum() else "_" for ch in node_name.lower())[:50]
    with psycopg.connect(pg_server, autocommit=True) as conn:
        _drop_slots(conn, name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield pg_server.replace("/postgres?", f"/{name}?")
    # slot names are server-wide: free them so the next test can use the default slot name
    with psycopg.connect(pg_server, autocommit=True) as conn:
        _drop_slots(conn, name)


@pytest.fixture
def pg_dsn(pg_server: str, request) -> str:
    """A fresh database on the session server, so tests do not see each other's rows/slots."""
    yield from fresh_database(pg_server, request.node.name)


@pytest.fixture(scope="module")
def module_pg_dsn(pg_server: str, request) -> str:
    """A fresh database shared by one module's tests (a module-scoped bring-up's source)."""
    yield from fresh_database(pg_server, "m_" + request.module.__name__)


@pytest.fixture(scope="session")
def spark():
    """One local Spark session (~20-30 s to start) for every test of the run that needs Spark."""
    from platform_assets.processed.compute.spark_changes import session

    s = session("lakehouse-tests")
    yield s
    s.stop()


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(str(tmp_path / "lake"))


@pytest.fixture
def platform_home(tmp_path: Path, monkeypatch) -> Path:
    """Point the platform's local state (.lake, .platform) at a temporary folder."""
    monkeypatch.setenv("PLATFORM_HOME", str(tmp_path))
    monkeypatch.delenv("PLATFORM_ENV", raising=False)
    return tmp_path


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory) -> str:
    """A real moto server (S3, Kinesis, DynamoDB, Glue, ...) on a free local port."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(Path(tmp_path_factory.mktemp("moto")) / "moto.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)  # noqa: S310 -- the test's own http://127.0.0.1 URL
            break
        except OSError:
            time.sleep(0.1)
    yield url
    stop_server(proc)


@pytest.fixture
def s3_lake(moto_endpoint, monkeypatch, request) -> Lake:
    """A lake on a fresh bucket of the moto S3 server."""
    import boto3

    for k, v in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(k, v)
    bucket = "lake-" + "".join(ch for ch in request.node.name.lower() if ch.isalnum())[:40]
    boto3.client("s3", endpoint_url=moto_endpoint).create_bucket(Bucket=bucket)
    return Lake(
        f"s3://{bucket}/zones",
        {
            "AWS_ENDPOINT_URL": moto_endpoint,
            "AWS_ALLOW_HTTP": "true",
            "AWS_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        },
    )


@pytest.fixture(scope="session")
def fakesnow_server(tmp_path_factory) -> dict:
    """A real `fakesnow -s` server (Snowflake's protocol over DuckDB) on a free local port, for
    the whole session; yields the connector settings. Tests create their own database."""
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(Path(tmp_path_factory.mktemp("fakesnow")) / "fakesnow.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("fakesnow")), "-s", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield {
        "account": "fakesnow",
        "user": "fake",
        "password": "snow",
        "host": "127.0.0.1",
        "port": port,
        "protocol": "http",
    }
    stop_server(proc)
    log.close()


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory):
    """A platform home with a curated zone (600 orders), processed clickstream tied to it, and
    the whole warehouse (loader, every dbt model and mart, shop and events) built once per test
    run through the Dagster assets (`result`: that run's events, checks included). Shared: tests
    that change it work on a copy (`shutil.copytree(built_warehouse.home, ...)`)."""
    from types import SimpleNamespace

    from dagster import AssetSelection, materialize
    from warehouse_data import event_rows, shop_rows, warehouse_resources, write_curated, write_events

    from platform_assets.lake import Lake
    from platform_assets.settings import Locations
    from platform_assets.warehouse import project
    from platform_assets.warehouse.assets import dbt_assets_definitions
    from platform_assets.warehouse.curated_copies import warehouse_curated_copies

    try:
        project.manifest_path()
    except Exception:
        project.prepare_manifest()
    home = tmp_path_factory.mktemp("built_home")
    loc = Locations(home)
    rows = shop_rows(600)
    write_curated(loc.lake_root, rows)
    write_events(Lake(str(loc.lake_root)), event_rows(400, days=14, customers=200, products=50, orders=600))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLATFORM_HOME", str(home))
        mp.delenv("PLATFORM_ENV", raising=False)
        result = materialize(
            [warehouse_curated_copies, *dbt_assets_definitions],
            selection=AssetSelection.all(),
            raise_on_error=False,
            resources=warehouse_resources(loc.lake_root, loc.warehouse_path),
        )
    assert result.success, "the shared warehouse did not build"
    return SimpleNamespace(
        home=home, lake_root=loc.lake_root, warehouse_path=loc.warehouse_path, rows=rows, result=result
    )
