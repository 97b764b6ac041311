"""Batch scoring: the champion's churn probability for every customer, as a curated Delta table.

`curated/churn_predictions` is a derived table (no source, so no table contract): its schema is
`PREDICTIONS_COLUMNS`, in the contracts' logical types. One scoring run is identified by the
model version and the Delta versions its features were read at (`scoring_id`); rows are merged
on (scoring_id, customer_id) and only inserted, so scoring the same model on the same data
again adds nothing and keeps the first `scored_at`. Earlier runs stay: monitoring compares them.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from platform_assets.contracts.types import TYPES
from platform_assets.lake import Lake
from platform_assets.ml.evaluation import THRESHOLD
from platform_assets.ml.features import scoring_rows
from platform_assets.ml.names import PREDICTIONS_TABLE
from platform_assets.ml.sources import Pins, read_sources
from platform_assets.ml.training import score

PREDICTIONS_COLUMNS = (
    ("scoring_id", "text", "One scoring run: the model version and the Delta versions of its features."),
    ("customer_id", "bigint", "The customer scored."),
    ("feature_cutoff", "timestamptz", "Features use what happened before this time."),
    ("score", "double", "Probability that the customer places no order in the label window."),
    ("predicted_churn", "boolean", f"score >= {THRESHOLD}."),
    ("model_name", "text", "The MLflow registered model."),
    ("model_version", "int", "Its version (the champion when scored)."),
    ("scored_at", "timestamptz", "When the scoring run first wrote these rows (UTC)."),
)
PREDICTIONS_SCHEMA = pa.schema([pa.field(n, TYPES[t].arrow) for n, t, _ in PREDICTIONS_COLUMNS])


def scoring_id(model: str, version: int, pins: Pins) -> str:
    text = json.dumps({"model": model, "version": version, "pins": pins}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def predict(
    estimator, model: str, version: int, lake: Lake, pins: Pins, now: datetime | None = None
) -> pa.Table:
    """The predictions of one scoring run over the sources at `pins`."""
    rows = scoring_rows(read_sources(lake, pins))
    scores = score(estimator, rows) if rows.num_rows else []
    n = rows.num_rows
    return pa.table(
        {
            "scoring_id": [scoring_id(model, version, pins)] * n,
            "customer_id": rows["customer_id"],
            "feature_cutoff": rows["cutoff"],
            "score": pa.array([float(s) for s in scores], pa.float64()),
            "predicted_churn": pa.array([bool(s >= THRESHOLD) for s in scores]),
            "model_name": [model] * n,
            "model_version": pa.array([version] * n, pa.int32()),
            "scored_at": pa.array([now or datetime.now(UTC)] * n, pa.timestamp("us", tz="UTC")),
        },
        schema=PREDICTIONS_SCHEMA,
    )


def write_predictions(lake: Lake, predictions: pa.Table) -> tuple[int, int]:
    """Merge a run's rows in (insert only); (rows inserted, the table's Delta version)."""
    uri = lake.delta_uri("curated", PREDICTIONS_TABLE)
    try:
        dt = DeltaTable(uri, storage_options=lake.storage_options)
    except TableNotFoundError:
        write_deltalake(uri, predictions, mode="append", storage_options=lake.storage_options)
        return predictions.num_rows, DeltaTable(uri, storage_options=lake.storage_options).version()
    result = (
        dt.merge(
            predictions,
            "t.scoring_id = s.scoring_id and t.customer_id = s.customer_id",
            source_alias="s",
            target_alias="t",
        )
        .when_not_matched_insert_all()
        .execute()
    )
    return int(result.get("num_target_rows_inserted", 0)), dt.version()


def read_run(lake: Lake, run_id: str) -> pa.Table:
    """The rows of one scoring run (as first written)."""
    import pyarrow.compute as pc

    dt = DeltaTable(lake.delta_uri("curated", PREDICTIONS_TABLE), storage_options=lake.storage_options)
    table = dt.to_pyarrow_table()
    return table.filter(pc.equal(table["scoring_id"], run_id))
