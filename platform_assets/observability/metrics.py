"""The metrics resource: CloudWatch `PutMetricData` in `prod`, a log line per metric locally.

profile.py chooses `kind`; the sensors only call `put()`. CloudWatch is reached with the
profile's AWS settings (AwsResource: timeouts, retries, optional keys).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import Field

from platform_assets.aws import AwsResource
from platform_assets.errors import PlatformError

log = logging.getLogger(__name__)
PUT_BATCH = 1000  # PutMetricData's limit of values per call


@dataclass(frozen=True)
class Metric:
    name: str
    value: float
    unit: str  # a CloudWatch unit: Count, Seconds, ...
    table: str  # the `Table` dimension
    at: datetime

    def datum(self) -> dict:
        return {
            "MetricName": self.name,
            "Value": self.value,
            "Unit": self.unit,
            "Timestamp": self.at,
            "Dimensions": [{"Name": "Table", "Value": self.table}],
        }


class MetricsResource(AwsResource):
    kind: Literal["log", "cloudwatch"] = "log"
    namespace: str = Field(default="Lakehouse", description="cloudwatch: the namespace")

    def put(self, metrics: list[Metric]) -> int:
        """Put (or log) every metric; raises PlatformError naming CloudWatch if a call fails."""
        for m in metrics:
            log.info("metric %s %s=%s %s at %s", m.table, m.name, m.value, m.unit, m.at.isoformat())
        if self.kind == "log" or not metrics:
            return len(metrics)
        from botocore.exceptions import BotoCoreError, ClientError

        cloudwatch = self.client("cloudwatch")
        for i in range(0, len(metrics), PUT_BATCH):
            try:
                cloudwatch.put_metric_data(
                    Namespace=self.namespace, MetricData=[m.datum() for m in metrics[i : i + PUT_BATCH]]
                )
            except (BotoCoreError, ClientError) as exc:
                raise PlatformError(
                    f"CloudWatch PutMetricData to namespace {self.namespace!r} failed: {exc}"
                ) from exc
        return len(metrics)
