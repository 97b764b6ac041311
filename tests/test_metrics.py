"""The processed zone's metrics: real apply runs, the sensor over their materializations, the
values put to moto's CloudWatch exactly once (and kept for the next tick when a put fails)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from dagster import AssetKey, DagsterInstance, build_sensor_context, materialize
from dms_files import commit_times, product_row, write_dms

from platform_assets.errors import PlatformError
from platform_assets.observability.metrics import MetricsResource
from platform_assets.observability.processed_metrics import (
    LAG,
    ROWS_APPLIED,
    commit_time,
    processed_metrics_sensor,
)
from platform_assets.processed.assets import processed_assets
from platform_assets.profile import resources_for
from platform_assets.raw.positions import full_load, sequenced
from platform_assets.resources import LakeResource

PRODUCTS = AssetKey(["processed", "products"])
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def test_commit_time_reads_the_position_the_apply_writes():
    at = datetime(2026, 11, 27, 8, 30, 0, 123456, tzinfo=UTC)
    import pyarrow as pa

    position = sequenced(
        pa.chunked_array([pa.array([at], pa.timestamp("us", tz="UTC"))]),
        pa.chunked_array([pa.array(["7".zfill(35)])]),
    )[0].as_py()
    assert commit_time(position) == at
    assert commit_time(full_load("00000001", 1)[0].as_py()) is None  # a full load has none
    assert commit_time("") is None


def _apply(lake, instance):
    engine = resources_for("local")["processed_engine"]  # the local profile's (delta-rs)
    result = materialize(
        processed_assets,
        selection=[PRODUCTS],
        instance=instance,
        resources={"lake": LakeResource(root=lake.root), "processed_engine": engine},
    )
    assert result.success
    return instance.get_latest_materialization_event(PRODUCTS)


def _metrics(moto_endpoint, namespace: str) -> MetricsResource:
    return MetricsResource(
        kind="cloudwatch", namespace=namespace, endpoint_url=moto_endpoint, region_name="us-east-1", **KEYS
    )


def _datapoints(metrics: MetricsResource, name: str) -> list[dict]:
    now = datetime.now(UTC)
    out = metrics.client("cloudwatch").get_metric_statistics(
        Namespace=metrics.namespace,
        MetricName=name,
        Dimensions=[{"Name": "Table", "Value": "products"}],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(hours=1),
        Period=3600,
        Statistics=["Sum", "SampleCount", "Maximum"],
    )
    return out["Datapoints"]


def test_rows_applied_and_lag_reach_cloudwatch_once(lake, moto_endpoint):
    instance = DagsterInstance.ephemeral()
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 1001)])
    first = _apply(lake, instance).asset_materialization.metadata
    name = datetime.now(UTC).strftime("%Y%m%d-%H%M%S%f")[:-3]  # a CDC file written just now
    write_dms(
        lake,
        "products",
        name,
        [product_row(i, price="12.50") for i in range(1, 201)] + [product_row(i) for i in range(1001, 1051)],
        ops=["U"] * 200 + ["I"] * 50,
    )
    second = _apply(lake, instance)
    applied = sum(
        m[k].value
        for m in (first, second.asset_materialization.metadata)
        for k in ("rows_inserted", "rows_updated", "rows_deleted")
    )
    assert applied == 1000 + 250

    metrics = _metrics(moto_endpoint, f"Test{uuid.uuid4().hex[:8]}")
    with build_sensor_context(instance=instance, resources={"metrics": metrics}) as ctx:
        processed_metrics_sensor(ctx)
        cursor = ctx.cursor
    rows = _datapoints(metrics, ROWS_APPLIED)
    assert [(p["Sum"], p["SampleCount"]) for p in rows] == [(1250.0, 2.0)]
    lag = _datapoints(metrics, LAG)  # only the CDC apply has a source commit time
    expected = second.timestamp - commit_times(name, 250)[-1].timestamp()
    assert len(lag) == 1 and lag[0]["SampleCount"] == 1
    assert lag[0]["Maximum"] == pytest.approx(expected, abs=0.01)

    # the next tick finds nothing new and puts nothing again
    with build_sensor_context(instance=instance, resources={"metrics": metrics}, cursor=cursor) as ctx:
        processed_metrics_sensor(ctx)
    assert [p["SampleCount"] for p in _datapoints(metrics, ROWS_APPLIED)] == [2.0]


def test_a_failed_put_keeps_the_cursor_so_the_next_tick_puts_them(lake, moto_endpoint):
    instance = DagsterInstance.ephemeral()
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 1001)])
    _apply(lake, instance)
    down = MetricsResource(
        kind="cloudwatch",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-east-1",
        connect_timeout_s=1,
        max_attempts=1,
        **KEYS,
    )
    with build_sensor_context(instance=instance, resources={"metrics": down}) as ctx:
        with pytest.raises(PlatformError, match="CloudWatch PutMetricData"):
            processed_metrics_sensor(ctx)
        assert ctx.cursor is None

    metrics = _metrics(moto_endpoint, f"Test{uuid.uuid4().hex[:8]}")
    with build_sensor_context(instance=instance, resources={"metrics": metrics}) as ctx:
        processed_metrics_sensor(ctx)
    assert [p["Sum"] for p in _datapoints(metrics, ROWS_APPLIED)] == [1000.0]


def test_the_local_profile_logs_the_metrics(lake, caplog):
    instance = DagsterInstance.ephemeral()
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 1001)])
    _apply(lake, instance)
    with caplog.at_level(logging.INFO, logger="platform_assets.observability.metrics"):
        with build_sensor_context(
            instance=instance, resources={"metrics": MetricsResource(kind="log")}
        ) as ctx:
            processed_metrics_sensor(ctx)
    assert any("products RowsApplied=1000.0 Count" in r.getMessage() for r in caplog.records)
