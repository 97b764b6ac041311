"""`lakehouse prod up|down|status` and `lakehouse cdc full-load`: the pieces, fast.

The env file, the background servers (a server that ignores SIGTERM and has a child is still
stopped), the full load command on a folder and on S3, fakesnow reading a stage on moto's S3.
`prod up` twice, its graph against a local build, a CDC round and `prod down` end to end, on one
bring-up: tests/test_prod_graph.py.
"""

from __future__ import annotations

import hashlib
import stat
import sys
import textwrap
from pathlib import Path

import boto3
import psutil
import psycopg
import pytest
from servers import process_gone

from platform_assets.cli import main
from platform_assets.contracts import CONTRACTS
from platform_assets.errors import PlatformError
from platform_assets.provision import servers
from platform_assets.provision.trial import wants_local_servers
from platform_assets.provision.trial_env import (
    TRIAL_LAKE_URI,
    read_env_file,
    trial_environment,
    write_env_file,
)
from platform_assets.settings import Locations
from platform_assets.sources.oltp.seed import seed


# -- the environment file ---------------------------------------------------------------------
def test_the_env_file_round_trips_every_value_and_is_private(tmp_path):
    env = trial_environment(
        Locations(tmp_path / "my home"),
        "http://127.0.0.1:5000",
        5001,
        "host=/tmp/x dbname=postgres user='o''brien'",
        "k" * 40,
    )
    path = tmp_path / ".platform" / "prod-trial.env"
    write_env_file(path, env)
    assert read_env_file(path) == env
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert env["PLATFORM_ENV"] == "prod" and env["PLATFORM_LAKE_URI"] == TRIAL_LAKE_URI
    # a shell reads it the same way (`set -a; . file`)
    import subprocess

    out = subprocess.run(
        ["bash", "-c", f"set -a; . {str(path)!r}; env -0"], capture_output=True, check=True
    ).stdout.decode()
    shell = dict(line.split("=", 1) for line in out.split("\0") if "=" in line)
    assert {k: shell[k] for k in env} == env


def test_a_damaged_env_file_is_one_clear_error(tmp_path):
    path = tmp_path / "prod-trial.env"
    path.write_text("PLATFORM_ENV='prod\n")
    with pytest.raises(PlatformError, match=r"prod-trial.env:1: .*delete the file"):
        read_env_file(path)


def test_local_servers_unless_the_environment_names_another_lake(monkeypatch):
    monkeypatch.delenv("PLATFORM_LAKE_URI", raising=False)
    assert wants_local_servers(None) is True
    monkeypatch.setenv("PLATFORM_LAKE_URI", TRIAL_LAKE_URI)  # the trial's env, sourced
    assert wants_local_servers(None) is True
    monkeypatch.setenv("PLATFORM_LAKE_URI", "s3://company-lake/prod")
    assert wants_local_servers(None) is False
    assert wants_local_servers(True) is True and wants_local_servers(False) is False


# -- background servers -----------------------------------------------------------------------
STUBBORN = textwrap.dedent("""
    import signal, socket, subprocess, sys, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # like a server that ignores SIGTERM
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    open(sys.argv[2], "w").write(str(child.pid))
    s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen()
    while True:
        time.sleep(1)
""")


def _stubborn(tmp_path: Path) -> servers.ServerSpec:
    script, child = tmp_path / "stubborn.py", tmp_path / "child.pid"
    script.write_text(STUBBORN)
    return servers.ServerSpec(
        "stubborn",
        lambda port: [sys.executable, str(script), str(port), str(child)],
        servers._accepts,
        "socket",
    )


def test_a_server_is_started_once_and_stopped_with_its_children(tmp_path, monkeypatch):
    monkeypatch.setattr(servers, "STOP_WAIT_S", 2)
    spec, state = _stubborn(tmp_path), tmp_path / "state"
    first, started = servers.start(spec, state)
    again, started_again = servers.start(spec, state)
    assert started and not started_again and again == first
    assert servers.running(state, "stubborn") == first
    child = int((tmp_path / "child.pid").read_text())
    assert not process_gone(first.pid) and not process_gone(child)

    assert servers.stop(state, "stubborn") == first
    assert process_gone(first.pid) and process_gone(child)  # SIGTERM ignored: the group got SIGKILL
    assert servers.running(state, "stubborn") is None
    assert servers.stop(state, "stubborn") is None  # nothing left to stop


def test_a_stale_record_is_never_signalled(tmp_path):
    state = tmp_path / "state"
    me = psutil.Process()  # a live pid with another start time: a reused pid
    servers.write_private(
        state / "moto.json",
        (f'{{"name": "moto", "pid": {me.pid}, "port": 1, "started": {me.create_time() - 100}, "log": "x"}}'),
    )
    assert servers.running(state, "moto") is None
    assert servers.stop(state, "moto") is None  # and this test process is still here


def test_a_server_that_exits_at_once_names_itself_and_its_log(tmp_path):
    spec = servers.ServerSpec(
        "broken",
        lambda port: [sys.executable, "-c", "import sys; print('no such flag'); sys.exit(3)"],
        servers._accepts,
        "socket",
    )
    with pytest.raises(
        PlatformError,
        match=r"the broken server exited with 3; its log .*"
        r"no such flag",
    ):
        servers.start(spec, tmp_path)
    assert servers.recorded(tmp_path, "broken") is None


@pytest.mark.slow
def test_fakesnow_reads_a_stage_on_motos_s3(tmp_path, moto_endpoint):
    """The trial's fakesnow (provision/fakesnow_s3.py): COPY INTO from an s3:// stage."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq
    import snowflake.connector

    from platform_assets.provision.trial_env import aws_environment

    s3 = boto3.client(
        "s3",
        **{
            "endpoint_url": moto_endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        },
    )
    s3.create_bucket(Bucket="fakesnow-stage")
    for part in range(3):
        buf = io.BytesIO()
        pq.write_table(pa.table({"id": list(range(part * 400, part * 400 + 400))}), buf)
        s3.put_object(Bucket="fakesnow-stage", Key=f"zone/t/part-{part}.parquet", Body=buf.getvalue())
    server, _ = servers.start(servers.FAKESNOW, tmp_path, aws_environment(moto_endpoint))
    try:
        con = snowflake.connector.connect(
            account="fakesnow",
            user="u",
            password="p",
            host="127.0.0.1",
            port=server.port,
            protocol="http",
            network_timeout=30,
            login_timeout=30,
        )
        cur = con.cursor()
        for sql in [
            "create database if not exists d",
            "use database d",
            "create schema if not exists s",
            "use schema s",
            "create table t (id bigint)",
            "create stage lake url = 's3://fakesnow-stage/zone/'",
            "copy into t from @lake/t/ files = ('part-0.parquet', 'part-2.parquet') "
            "file_format = (type = parquet) match_by_column_name = case_insensitive",
        ]:
            cur.execute(sql)
        cur.execute("select count(*), min(id), max(id) from t")
        assert cur.fetchone() == (800, 0, 1199)
        con.close()
    finally:
        servers.stop(tmp_path, "fakesnow")
    assert process_gone(server.pid)


# -- lakehouse cdc full-load ------------------------------------------------------------------
def _raw_files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / "raw" / "cdc").rglob("*"))
        if p.is_file()
    }


def test_full_load_into_a_local_raw_zone_once(platform_home, pg_dsn, monkeypatch, capsys):
    monkeypatch.setenv("PLATFORM_OLTP_DSN", pg_dsn)
    with psycopg.connect(pg_dsn) as conn:
        counts = seed(conn, orders=1_000, seed=3)
    assert main(["cdc", "full-load"]) == 0
    out = capsys.readouterr().out
    for name in CONTRACTS:
        assert f"full load of {name}: {counts[name]} rows in 1 file(s)" in out
    lake_root = platform_home / ".lake"
    files = _raw_files(lake_root)
    assert sorted(Path(f).parent.name for f in files) == sorted(CONTRACTS)
    with psycopg.connect(pg_dsn) as conn:  # the slot was made before the snapshot
        assert (
            conn.execute(
                "select count(*) from pg_replication_slots where database = current_database()"
            ).fetchone()[0]
            == 1
        )

    assert main(["cdc", "full-load"]) == 0
    again = capsys.readouterr().out
    assert again.count("already in the raw zone") == len(CONTRACTS)
    assert _raw_files(lake_root) == files  # same files, same bytes


def test_full_load_into_the_raw_zone_on_s3(s3_lake, moto_endpoint, pg_dsn, monkeypatch, capsys, tmp_path):
    for k, v in {
        "PLATFORM_ENV": "prod",
        "PLATFORM_HOME": str(tmp_path),
        "PLATFORM_LAKE_URI": s3_lake.root,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "PLATFORM_OLTP_DSN": pg_dsn,
    }.items():
        monkeypatch.setenv(k, v)
    with psycopg.connect(pg_dsn) as conn:
        counts = seed(conn, orders=600, seed=4)
    assert main(["cdc", "full-load", "--no-slot"]) == 0
    assert f"full load of orders: {counts['orders']} rows" in capsys.readouterr().out
    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    bucket, prefix = s3_lake.root[len("s3://") :].split("/", 1)

    def listing() -> dict[str, str]:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/raw/cdc/")
        return {o["Key"]: o["ETag"] for p in pages for o in p.get("Contents", [])}

    first = listing()
    assert {k.split("/")[-2] for k in first} == set(CONTRACTS)
    assert all(k.split("/")[-1].startswith("LOAD") for k in first)
    with psycopg.connect(pg_dsn) as conn:  # --no-slot: a DMS task does the CDC
        assert (
            conn.execute(
                "select count(*) from pg_replication_slots where database = current_database()"
            ).fetchone()[0]
            == 0
        )
    assert main(["cdc", "full-load", "--no-slot"]) == 0
    assert listing() == first


def test_full_load_of_a_source_without_the_tables_is_one_clear_error(
    platform_home, pg_dsn, monkeypatch, capsys
):
    monkeypatch.setenv("PLATFORM_OLTP_DSN", pg_dsn)
    assert main(["cdc", "full-load"]) == 1
    err = capsys.readouterr().err
    assert "does not exist in the OLTP database" in err and "Traceback" not in err
    assert not (platform_home / ".lake" / "raw").exists()
