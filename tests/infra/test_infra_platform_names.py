"""The infrastructure's names and formats are the platform's own: DMS settings, the Firehose
prefix and format, table, stream and database names, lifecycle from retention, task settings."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from infra.environments import ENVIRONMENTS
from platform_assets.catalog.describe import database_name
from platform_assets.contracts import CONTRACTS
from platform_assets.contracts.events import EVENTS
from platform_assets.lake import Lake
from platform_assets.provision.aws import METADATA_KEYS, METADATA_STREAM
from platform_assets.raw import dms_settings, firehose_layout
from platform_assets.tables.refs import DELTA_ZONES
from platform_assets.variables import BY_NAME, declared

ENVS = sorted(ENVIRONMENTS)


def _one(resources: dict) -> dict:
    (resource,) = resources.values()
    return resource["Properties"]


def _key(lake: Lake, uri: str) -> str:
    """An S3 key inside the lake's bucket."""
    return lake.fs_path(uri).split("/", 1)[1]


@pytest.mark.parametrize("env", ENVS)
def test_dms_writes_the_raw_zone_exactly_as_the_platform_declares(synthesized, env):
    config = ENVIRONMENTS[env]
    lake = Lake(config.lake_uri)
    endpoints = synthesized.resources(env, "oltp-cdc", "AWS::DMS::Endpoint").values()
    (target,) = [
        e["Properties"]["S3Settings"] for e in endpoints if e["Properties"]["EndpointType"] == "target"
    ]
    for name, value in dms_settings.S3_TARGET_SETTINGS.items():
        assert target[name] == value, name
    assert "CdcPath" not in target and "CsvRowDelimiter" not in target
    # DMS writes <folder>/<schema>/<table>/: the very folder the apply reads
    contract = CONTRACTS["orders"]
    assert f"{target['BucketFolder']}/{contract.schema}/{contract.name}" == _key(
        lake, lake.raw_cdc_prefix(contract.schema, contract.name)
    )
    task = _one(synthesized.resources(env, "oltp-cdc", "AWS::DMS::ReplicationTask"))
    assert task["MigrationType"] == "full-load-and-cdc"
    mappings = json.loads(task["TableMappings"])
    assert mappings == dms_settings.table_mappings()
    selected = {
        (r["object-locator"]["schema-name"], r["object-locator"]["table-name"])
        for r in mappings["rules"]
        if r["rule-type"] == "selection"
    }
    assert selected == {(c.schema, c.name) for c in CONTRACTS.values()}


@pytest.mark.parametrize("env", ENVS)
def test_firehose_lands_files_the_raw_zone_reads(synthesized, env):
    config = ENVIRONMENTS[env]
    lake = Lake(config.lake_uri)
    stream = _one(synthesized.resources(env, "streams", "AWS::KinesisFirehose::DeliveryStream"))
    s3 = stream["ExtendedS3DestinationConfiguration"]
    assert stream["DeliveryStreamName"] == EVENTS.stream
    assert s3["CompressionFormat"] == "GZIP"
    assert s3["BufferingHints"]["IntervalInSeconds"] <= EVENTS.future_skew_seconds
    # what Firehose writes: <Prefix>YYYY/MM/DD/HH/<name>-<version>-YYYY-MM-DD-HH-MM-SS-<id><extension>
    delivered = datetime(2026, 3, 1, 10, 4, 5, tzinfo=UTC)
    name = f"{stream['DeliveryStreamName']}-1-{delivered:%Y-%m-%d-%H-%M-%S}-0a1b2c3d{s3['FileExtension']}"
    key = f"{s3['Prefix']}{delivered:%Y/%m/%d/%H}/{name}"
    base = _key(lake, firehose_layout.stream_prefix(lake, EVENTS.stream)) + "/"
    assert key.startswith(base)
    landed = firehose_layout.parse_key(lake, EVENTS.stream, key[len(base) :])
    assert landed is not None and landed.hour == delivered.replace(minute=0, second=0)
    assert s3["ErrorOutputPrefix"].startswith(
        _key(lake, firehose_layout.quarantine_prefix(lake, EVENTS.stream))
    )
    processors = s3["ProcessingConfiguration"]["Processors"]
    assert [p["Type"] for p in processors] == ["Lambda"]


@pytest.mark.parametrize("env", ENVS)
def test_table_stream_and_databases_carry_the_platform_names(synthesized, env):
    table = _one(synthesized.resources(env, "streams", "AWS::DynamoDB::Table"))
    assert table["TableName"] == declared("PLATFORM_METADATA_TABLE").default
    assert table["KeySchema"] == METADATA_KEYS
    assert table["StreamSpecification"] == {"StreamViewType": METADATA_STREAM["StreamViewType"]}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    kinesis = _one(synthesized.resources(env, "streams", "AWS::Kinesis::Stream"))
    assert kinesis["Name"] == declared("PLATFORM_EVENTS_STREAM").default
    databases = {
        d["Properties"]["DatabaseInput"]["Name"]
        for d in synthesized.resources(env, "catalog-compute", "AWS::Glue::Database").values()
    }
    prefix = declared("PLATFORM_GLUE_DATABASE_PREFIX").default
    assert {database_name(prefix, zone) for zone in DELTA_ZONES} <= databases


@pytest.mark.parametrize("env", ENVS)
def test_lifecycle_follows_the_platform_retention(synthesized, env):
    config = ENVIRONMENTS[env]
    lake = Lake(config.lake_uri)
    (bucket,) = [
        b["Properties"]
        for b in synthesized.resources(env, "storage", "AWS::S3::Bucket").values()
        if b["Properties"].get("BucketName") == config.lake_bucket
    ]
    rules = {r["Id"]: r for r in bucket["LifecycleConfiguration"]["Rules"]}
    raw = rules["raw"]
    assert raw["Prefix"] == _key(lake, lake.uri("raw")) + "/"
    # the platform deletes applied raw files itself; S3 never expires a current raw file
    assert not any("ExpirationInDays" in r for r in rules.values())
    assert raw["NoncurrentVersionExpiration"]["NoncurrentDays"] == int(
        declared("PLATFORM_RAW_KEEP_DAYS").default
    )
    longest_vacuum_days = max(c.vacuum_retention_hours for c in CONTRACTS.values()) / 24
    for zone in DELTA_ZONES:
        assert rules[zone]["Prefix"] == _key(lake, lake.uri(zone)) + "/"
        assert rules[zone]["NoncurrentVersionExpiration"]["NoncurrentDays"] >= longest_vacuum_days


@pytest.mark.parametrize("env", ENVS)
def test_dagster_tasks_get_declared_settings_only(synthesized, env):
    config = ENVIRONMENTS[env]
    definitions = synthesized.resources(env, "catalog-compute", "AWS::ECS::TaskDefinition")
    assert {d["Properties"]["Family"] for d in definitions.values()} == {
        f"lakehouse-{env}-dagster-{n}" for n in ("run", "codeserver", "webserver", "daemon")
    }
    libpq = {"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD"}  # libpq's own, completing PLATFORM_OLTP_DSN
    for definition in definitions.values():
        (container,) = definition["Properties"]["ContainerDefinitions"]
        env_vars = {e["Name"]: e["Value"] for e in container["Environment"]}
        secrets = {s["Name"] for s in container["Secrets"]}
        assert set(env_vars) | (secrets - libpq) <= set(BY_NAME), set(env_vars) - set(BY_NAME)
        assert env_vars["PLATFORM_ENV"] == "prod" and env_vars["PLATFORM_LAKE_URI"] == config.lake_uri
        assert {s for s in secrets if s in BY_NAME} <= {v.name for v in BY_NAME.values() if v.secret}
        assert not {n for n in env_vars if BY_NAME[n].secret and n != "PLATFORM_OLTP_DSN"}


def test_alarms_watch_the_metrics_the_platform_emits(synthesized, caplog):
    import logging

    from infra.stacks.monitoring import RUN_FAILURE_LOG_TERM, RUN_FAILURES_METRIC
    from platform_assets.observability.alerts import AlertResource, alert
    from platform_assets.observability.processed_metrics import LAG

    summary = {
        "event": "run_failure",
        "job": "lakehouse_pipeline",
        "run_id": "r-1",
        "steps": [{"step": "processed__orders", "error": "boom"}],
        "message": "failed",
    }
    with caplog.at_level(logging.ERROR):
        alert(summary, AlertResource())
    assert any(RUN_FAILURE_LOG_TERM in r.getMessage() for r in caplog.records)  # what the filter matches
    namespace = declared("PLATFORM_METRICS_NAMESPACE").default
    (metric_filter,) = [
        f["Properties"]
        for f in synthesized.resources("prod", "monitoring", "AWS::Logs::MetricFilter").values()
    ]
    assert RUN_FAILURE_LOG_TERM in metric_filter["FilterPattern"]
    assert metric_filter["MetricTransformations"][0]["MetricNamespace"] == namespace
    alarms = [
        a["Properties"]
        for a in synthesized.resources("prod", "monitoring", "AWS::CloudWatch::Alarm").values()
    ]
    assert any(a.get("MetricName") == RUN_FAILURES_METRIC and a["Namespace"] == namespace for a in alarms)
    lag = {a["Dimensions"][0]["Value"]: a["Threshold"] for a in alarms if a.get("MetricName") == LAG}
    assert lag == {name: c.freshness_sla_minutes * 60 for name, c in CONTRACTS.items()}
    watched = {a.get("MetricName") for a in alarms}
    assert {
        "CPUUtilization",
        "FreeLocalStorage",
        "GetRecords.IteratorAgeMilliseconds",
        "CDCLatencySource",
        "CDCLatencyTarget",
        "DeliveryToS3.Success",
        "ExecuteProcessing.Success",
    } <= watched
