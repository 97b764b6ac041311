"""The processed zone's metrics, read from the apply's materializations: rows applied per table
and the lag from the source commit to the processed table.

The processed asset records what it applied in its materialization's metadata (`rows_inserted`,
`rows_updated`, `rows_deleted`, and `watermark`: the source position of the last change
applied, whose CDC form starts with the source commit time; raw/positions.py). A sensor reads
new materializations from the instance's event log after a per-table cursor (the storage id)
and puts the metrics; the cursor moves only after the put succeeded, so a failed put is
retried on the next tick and nothing is counted twice or lost.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from dagster import AssetRecordsFilter, DefaultSensorStatus, SensorEvaluationContext, SkipReason, sensor

from platform_assets.contracts import CONTRACTS
from platform_assets.observability.metrics import Metric, MetricsResource
from platform_assets.processed.assets import processed_key

ROWS_APPLIED = "RowsApplied"
LAG = "SourceToProcessedLagSeconds"
APPLIED = ("rows_inserted", "rows_updated", "rows_deleted")
PAGE = 200  # materializations read per table per tick


def commit_time(watermark: str) -> datetime | None:
    """The source commit time of a CDC position ("1" + 17 digits of microseconds since 1970);
    None for a full-load position ("0...") or no watermark, which have no commit time."""
    if len(watermark) < 18 or watermark[0] != "1" or not watermark[1:18].isdigit():
        return None
    return datetime.fromtimestamp(int(watermark[1:18]) / 1e6, tz=UTC)


def metrics_of(table: str, metadata: dict, materialized_at: float) -> list[Metric]:
    """The metrics of one materialization; [] for one that applied nothing (e.g. a restore)."""
    values = {k: getattr(v, "value", v) for k, v in metadata.items()}
    if not all(k in values for k in APPLIED):
        return []
    at = datetime.fromtimestamp(materialized_at, tz=UTC)
    out = [Metric(ROWS_APPLIED, float(sum(int(values[k]) for k in APPLIED)), "Count", table, at)]
    committed = commit_time(str(values.get("watermark") or ""))
    if committed is not None:
        out.append(Metric(LAG, max((at - committed).total_seconds(), 0.0), "Seconds", table, at))
    return out


@sensor(
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Puts rows applied and source-to-processed lag of each processed table's "
    "new materializations (CloudWatch in prod, the log locally).",
)
def processed_metrics_sensor(context: SensorEvaluationContext, metrics: MetricsResource):
    cursor: dict[str, int] = json.loads(context.cursor) if context.cursor else {}
    found: list[Metric] = []
    seen = 0
    for name, contract in CONTRACTS.items():
        records = context.instance.fetch_materializations(
            AssetRecordsFilter(asset_key=processed_key(contract), after_storage_id=cursor.get(name)),
            limit=PAGE,
            ascending=True,
        ).records
        for record in records:
            materialization = record.asset_materialization
            if materialization is not None:
                found += metrics_of(name, dict(materialization.metadata), record.timestamp)
            cursor[name] = record.storage_id
            seen += 1
    put = metrics.put(found)  # raises on failure: the cursor stays, the next tick retries
    context.update_cursor(json.dumps(cursor, sort_keys=True))
    return SkipReason(f"{seen} materializations read, {put} metrics put")
