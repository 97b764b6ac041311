"""The `prod` resources: AWS configured once for every client and for the lake, no keys needed
(the default chain), secrets kept as EnvVars, timeouts on every call, and concurrent Delta
commits on S3 (moto) with no lost commit."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import time
import uuid

import boto3
import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from platform_assets.profile import resources_for

AWS_RESOURCES = ("lake", "catalog", "metadata_store", "events", "metrics")
KEY_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


@pytest.fixture
def prod_env(monkeypatch):
    """`prod` with its required variables and no AWS keys at all (as on ECS with a task role)."""
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "PLATFORM_ENV": "prod",
        "PLATFORM_LAKE_URI": "s3://lake-prod/zones",
        "PLATFORM_OLTP_DSN": "postgresql://app@db.internal/shop",
        "PLATFORM_METADATA_TABLE": "meta",
        "PLATFORM_EVENTS_STREAM": "events",
        "AWS_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def _initialized(name: str, resources: dict | None = None):
    return (resources or resources_for())[name].process_config_and_initialize()


def test_prod_needs_no_aws_keys(prod_env):
    resources = resources_for()
    lake = _initialized("lake", resources).lake()
    assert lake.root == "s3://lake-prod/zones"
    assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} & set(lake.storage_options)
    for name in AWS_RESOURCES:
        res = _initialized(name, resources)
        assert res.aws_access_key_id is None and res.region_name == "eu-west-1"


def test_every_aws_resource_and_the_lake_get_the_same_settings(prod_env):
    for name, value in {
        "AWS_ENDPOINT_URL": "http://aws.local:4566",
        "AWS_ACCESS_KEY_ID": "AKIA1",
        "AWS_SECRET_ACCESS_KEY": "shh-secret",
        "PLATFORM_AWS_CONNECT_TIMEOUT_S": "2",
        "PLATFORM_AWS_READ_TIMEOUT_S": "9",
        "PLATFORM_AWS_MAX_ATTEMPTS": "4",
    }.items():
        prod_env.setenv(name, value)
    fields = (
        "region_name",
        "endpoint_url",
        "aws_access_key_id",
        "aws_secret_access_key",
        "connect_timeout_s",
        "read_timeout_s",
        "max_attempts",
    )
    resources = resources_for()
    settings = {
        name: tuple(getattr(_initialized(name, resources), f) for f in fields) for name in AWS_RESOURCES
    }
    assert set(settings.values()) == {
        ("eu-west-1", "http://aws.local:4566", "AKIA1", "shh-secret", 2.0, 9.0, 4)
    }

    client = _initialized("metadata_store", resources).client("dynamodb")
    assert (client.meta.config.connect_timeout, client.meta.config.read_timeout) == (2.0, 9.0)
    assert client.meta.config.retries["total_max_attempts"] == 4
    assert client.meta.endpoint_url == "http://aws.local:4566"

    lake = _initialized("lake", resources).lake()
    opts = lake.storage_options
    assert {
        k: opts[k]
        for k in (
            "AWS_REGION",
            "AWS_ENDPOINT_URL",
            "AWS_ALLOW_HTTP",
            "AWS_ACCESS_KEY_ID",
            "connect_timeout",
            "timeout",
            "max_retries",
            "AWS_CONDITIONAL_PUT",
        )
    } == {
        "AWS_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": "http://aws.local:4566",
        "AWS_ALLOW_HTTP": "true",
        "AWS_ACCESS_KEY_ID": "AKIA1",
        "connect_timeout": "2s",
        "timeout": "9s",
        "max_retries": "3",
        "AWS_CONDITIONAL_PUT": "etag",
    }
    # the lake's own boto3 client (listings, presigned URLs) has the same settings back
    s3 = lake.s3_client()
    assert (s3.meta.config.read_timeout, s3.meta.endpoint_url) == (9.0, "http://aws.local:4566")


def test_secrets_stay_out_of_the_definitions(prod_env):
    prod_env.setenv("AWS_ACCESS_KEY_ID", "AKIA1")
    prod_env.setenv("AWS_SECRET_ACCESS_KEY", "shh-secret")
    prod_env.setenv("PLATFORM_ALERT_WEBHOOK_URL", "https://hooks.example/T0KEN")
    text = repr(resources_for())
    assert "shh-secret" not in text and "T0KEN" not in text and "db.internal" not in text
    assert "AWS_SECRET_ACCESS_KEY" in text  # the EnvVar's name is what the definitions hold


def test_an_endpoint_that_never_answers_fails_in_seconds_for_delta_pyarrow_and_boto3(prod_env):
    """A listening socket that never responds: without timeouts delta-rs and boto3 wait on it
    for minutes (seen: still waiting after 20 s with the settings before AwsResource)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        for name, value in {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{silent.getsockname()[1]}",
            "AWS_ACCESS_KEY_ID": "t",
            "AWS_SECRET_ACCESS_KEY": "t",
            "PLATFORM_AWS_CONNECT_TIMEOUT_S": "1",
            "PLATFORM_AWS_READ_TIMEOUT_S": "1",
            "PLATFORM_AWS_MAX_ATTEMPTS": "2",
        }.items():
            prod_env.setenv(name, value)
        lake = _initialized("lake").lake()
        calls = {
            "delta-rs": lambda: DeltaTable(
                lake.delta_uri("processed", "orders"), storage_options=lake.storage_options
            ),
            "pyarrow": lambda: lake.filesystem().get_file_info(lake.fs_path(lake.uri("raw"))),
            "boto3": lambda: lake.s3_client().list_objects_v2(Bucket="lake-prod"),
        }
        for what, call in calls.items():
            started = time.monotonic()
            with pytest.raises(Exception, match="(?i)time"):  # each library's own timeout error
                call()
            assert time.monotonic() - started < 8, what


@pytest.fixture
def moto_lake(moto_endpoint, prod_env):
    bucket = f"lake-{uuid.uuid4().hex[:10]}"
    for name, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "PLATFORM_LAKE_URI": f"s3://{bucket}/zones",
    }.items():
        prod_env.setenv(name, value)
    boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=bucket)
    return _initialized("lake").lake()


WRITER = textwrap.dedent("""
    import json, os, sys, time
    import pyarrow as pa
    from deltalake import write_deltalake
    uri, opts, writer, commits, start_at = sys.argv[1], json.loads(sys.argv[2]), \\
        int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    time.sleep(max(0.0, start_at - time.time()))  # both writers start together
    for i in range(commits):
        rows = list(range(i * 100, (i + 1) * 100))
        write_deltalake(uri, pa.table({"writer": [writer] * 100, "row": rows}), mode="append",
                        storage_options=opts)
    print("done", flush=True)
    os._exit(0)  # skip interpreter teardown of the native runtimes; the work is committed
""")


def test_two_writers_committing_to_one_table_on_s3_lose_no_commit(moto_lake):
    """Conditional writes (If-None-Match) decide each Delta version; the loser re-reads and
    retries, so every commit of both processes lands."""
    uri = moto_lake.delta_uri("processed", "concurrent")
    opts = moto_lake.storage_options
    write_deltalake(
        uri,
        pa.table({"writer": pa.array([], pa.int64()), "row": pa.array([], pa.int64())}),
        storage_options=opts,
    )
    commits = 6
    start_at = time.time() + 3  # after both interpreters have imported deltalake
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, uri, json.dumps(opts), str(w), str(commits), str(start_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in (1, 2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]

    table = DeltaTable(uri, storage_options=opts)
    assert table.version() == 2 * commits
    data = table.to_pyarrow_table()
    for writer in (1, 2):
        rows = data.filter(pa.compute.equal(data["writer"], writer))["row"].to_pylist()
        assert sorted(rows) == list(range(commits * 100))
    appends = [h for h in table.history() if h.get("operation") == "WRITE"]
    assert len(appends) == 2 * commits + 1
