"""Batch scoring: the champion's churn probability for every customer, as a curated Delta table.

`curated/churn_predictions` is a derived table (no source, so no table contract): its schema is
`PREDICTIONS_COLUMNS`, in the contracts' logical types. One scoring run is identified by the
model version and the Delta versions its features were read at (`scoring_id`); rows are merged
on (scoring_id, customer_id) and only inserted, so scoring the same model on the same data
again adds nothing and keeps the first `scored_at`. Earlier runs stay: monitoring compares them.

A run streams: features and scores go a batch of customers at a time to a scratch file, which
one MERGE commits, so scoring holds a batch, not every customer.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from platform_assets.contracts.types import TYPES
from platform_assets.lake import Lake
from platform_assets.ml.evaluation import THRESHOLD
from platform_assets.ml.features import scoring_batches
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


def _predictions(rows: pa.RecordBatch, estimator, run: str, model: str, version: int, at: datetime):
    n = rows.num_rows
    scores = score(estimator, rows) if n else []
    return pa.record_batch(
        {
            "scoring_id": pa.array([run] * n, pa.string()),
            "customer_id": rows["customer_id"],
            "feature_cutoff": rows["cutoff"],
            "score": pa.array(scores, pa.float64()),
            "predicted_churn": pa.array([bool(s >= THRESHOLD) for s in scores], pa.bool_()),
            "model_name": pa.array([model] * n, pa.string()),
            "model_version": pa.array([version] * n, pa.int32()),
            "scored_at": pa.array([at] * n, pa.timestamp("us", tz="UTC")),
        },
        schema=PREDICTIONS_SCHEMA,
    )


def predict(
    estimator, model: str, version: int, lake: Lake, pins: Pins, now: datetime | None = None
) -> Iterator[pa.RecordBatch]:
    """The predictions of one scoring run over the sources at `pins`, a batch at a time."""
    run, at = scoring_id(model, version, pins), now or datetime.now(UTC)
    for rows in scoring_batches(read_sources(lake, pins)):
        yield _predictions(rows, estimator, run, model, version, at)


@dataclass(frozen=True)
class Written:
    rows: int  # rows of the run
    inserted: int  # of them new to the table
    delta_version: int


def write_predictions(lake: Lake, predictions: Iterator[pa.RecordBatch]) -> Written:
    """Merge a run's rows in (insert only), in one commit.

    The batches go to a local scratch file first and the MERGE reads that file: producing them
    reads the lake through delta-rs, which cannot run inside delta-rs's own MERGE.
    """
    with tempfile.TemporaryDirectory(prefix="predictions-") as scratch:
        path = f"{scratch}/run.parquet"
        rows = 0
        with pq.ParquetWriter(path, PREDICTIONS_SCHEMA) as out:
            for batch in predictions:
                out.write_batch(batch)
                rows += batch.num_rows
        source = ds.dataset(path, format="parquet").scanner().to_reader()
        uri = lake.delta_uri("curated", PREDICTIONS_TABLE)
        try:
            dt = DeltaTable(uri, storage_options=lake.storage_options)
        except TableNotFoundError:
            write_deltalake(uri, source, mode="append", storage_options=lake.storage_options)
            return Written(rows, rows, DeltaTable(uri, storage_options=lake.storage_options).version())
        result = (
            dt.merge(
                source,
                "t.scoring_id = s.scoring_id and t.customer_id = s.customer_id",
                source_alias="s",
                target_alias="t",
            )
            .when_not_matched_insert_all()
            .execute()
        )
    return Written(rows, int(result.get("num_target_rows_inserted", 0)), dt.version())


def read_run(lake: Lake, run_id: str, columns: list[str] | None = None) -> pa.Table:
    """The rows of one scoring run (as first written)."""
    dt = DeltaTable(lake.delta_uri("curated", PREDICTIONS_TABLE), storage_options=lake.storage_options)
    return dt.to_pyarrow_dataset().to_table(columns=columns, filter=ds.field("scoring_id") == run_id)
