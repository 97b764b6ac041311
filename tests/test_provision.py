"""Provisioning `prod` on moto's server: creates what is missing, twice creates nothing, and a
failing or silent endpoint is one clear error within the timeout."""

from __future__ import annotations

import socket
import time
import uuid

import pytest

from platform_assets.aws import AwsResource
from platform_assets.provision import (
    ProvisionError,
    ProvisionReport,
    ProvisionSettings,
    provision_all,
    provision_aws,
)

KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _settings(aws: AwsResource, tag: str | None = None) -> ProvisionSettings:
    tag = tag or uuid.uuid4().hex[:8]
    return ProvisionSettings(
        lake_uri=f"s3://lake-{tag}/zones",
        metadata_table=f"meta-{tag}",
        events_stream=f"events-{tag}",
        events_shards=2,
        glue_database_prefix=f"p{tag}_",
        aws=aws,
    )


@pytest.fixture
def aws(moto_endpoint) -> AwsResource:
    return AwsResource(endpoint_url=moto_endpoint, region_name="us-east-1", **KEYS)


def test_first_run_creates_everything_second_run_creates_nothing(aws):
    settings = _settings(aws)
    first = provision_aws(settings)
    assert len(first.created) == 5 and first.found == [] and first.updated == []

    s3, ddb = aws.client("s3"), aws.client("dynamodb")
    assert s3.get_bucket_versioning(Bucket=settings.bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=settings.bucket)["ServerSideEncryptionConfiguration"]
    assert rules["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    table = ddb.describe_table(TableName=settings.metadata_table)["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {"pk": "HASH", "sk": "RANGE"}
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    summary = aws.client("kinesis").describe_stream_summary(StreamName=settings.events_stream)[
        "StreamDescriptionSummary"
    ]
    assert summary["OpenShardCount"] == 2
    glue = aws.client("glue")
    for zone in ("processed", "curated"):
        assert glue.get_database(Name=f"{settings.glue_database_prefix}{zone}")

    second = provision_aws(settings)
    assert second.created == [] and second.updated == []
    assert sorted(second.found) == sorted(first.created)


def test_the_metadata_store_works_on_the_table_provisioning_made(aws):
    from platform_assets.metadata.resources import MetadataStoreResource

    settings = _settings(aws)
    provision_aws(settings)
    store = MetadataStoreResource(
        kind="dynamodb",
        table_name=settings.metadata_table,
        endpoint_url=aws.endpoint_url,
        region_name="us-east-1",
        **KEYS,
    ).store()
    store.put("contract", "orders", {"owner": "team:shop"}, expected_version=None)
    changes, _ = store.read_changes(None)
    assert [(c.kind, c.sk) for c in changes] == [("INSERT", "orders")]


def test_an_existing_bucket_is_found_and_versioning_switched_on(aws):
    settings = _settings(aws)
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=settings.bucket)
    s3.put_object(Bucket=settings.bucket, Key="zones/raw/keep.txt", Body=b"data")

    report = provision_aws(settings)

    assert f"S3 bucket {settings.bucket!r}" not in report.created
    assert any(settings.bucket in u and "versioning" in u for u in report.updated)
    assert s3.get_bucket_versioning(Bucket=settings.bucket)["Status"] == "Enabled"
    assert s3.get_object(Bucket=settings.bucket, Key="zones/raw/keep.txt")["Body"].read() == b"data"
    assert f"S3 bucket {settings.bucket!r}" in provision_aws(settings).found


def test_a_metadata_table_with_other_keys_is_refused_by_name(aws):
    settings = _settings(aws)
    aws.client("dynamodb").create_table(
        TableName=settings.metadata_table,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    with pytest.raises(
        ProvisionError, match=f"DynamoDB table '{settings.metadata_table}' has the key schema"
    ):
        provision_aws(settings)


def test_further_provisioners_run_after_aws_and_their_reports_merge(aws):
    settings = _settings(aws)
    seen = []

    def warehouse(s: ProvisionSettings) -> ProvisionReport:
        seen.append(s)
        return ProvisionReport(created=["Snowflake database 'X'"])

    report = provision_all(settings, provisioners=[warehouse])
    assert seen == [settings]
    assert report.created[-1] == "Snowflake database 'X'" and len(report.created) == 6


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_closed_port_fails_fast_naming_the_service_and_resource():
    aws = AwsResource(
        endpoint_url=f"http://127.0.0.1:{_free_port()}",
        region_name="us-east-1",
        connect_timeout_s=1,
        read_timeout_s=1,
        max_attempts=2,
        **KEYS,
    )
    started = time.monotonic()
    with pytest.raises(ProvisionError, match="S3 bucket 'lake-closed'"):
        provision_aws(_settings(aws, "closed"))
    assert time.monotonic() - started < 10


def test_an_endpoint_that_never_answers_fails_within_the_timeout():
    # a listening socket that accepts connections (the kernel's backlog) and never responds:
    # without a read timeout boto3 waits 60 s per attempt
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        aws = AwsResource(
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            connect_timeout_s=1,
            read_timeout_s=1,
            max_attempts=2,
            **KEYS,
        )
        started = time.monotonic()
        with pytest.raises(ProvisionError, match="S3 bucket 'lake-silent'.*(timeout|timed out)"):
            provision_aws(_settings(aws, "silent"))
        assert time.monotonic() - started < 10


def test_settings_come_from_the_declared_variables(monkeypatch, moto_endpoint):
    for name, value in {
        "PLATFORM_LAKE_URI": "s3://lake-from-env/zones",
        "PLATFORM_METADATA_TABLE": "meta-env",
        "AWS_ENDPOINT_URL": moto_endpoint,
        "PLATFORM_AWS_READ_TIMEOUT_S": "7",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PLATFORM_EVENTS_STREAM", raising=False)
    s = ProvisionSettings.from_env()
    assert (s.bucket, s.metadata_table, s.events_stream) == ("lake-from-env", "meta-env", "shop-clickstream")
    assert s.aws.endpoint_url == moto_endpoint and s.aws.read_timeout_s == 7
    monkeypatch.delenv("PLATFORM_LAKE_URI")
    with pytest.raises(Exception, match="PLATFORM_LAKE_URI is not set"):
        ProvisionSettings.from_env()
