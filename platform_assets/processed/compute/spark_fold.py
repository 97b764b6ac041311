"""The apply's fold in Spark: the same watermark and late-file rules as processed/apply.py.

Changes above the committed watermark fold to the last change per key; changes at or below
it (a redelivered or late file) name keys whose state is recomputed from the table's whole
raw history (every file but quarantined and rolled-back ones). The new watermark is the
greatest fresh position. Locally the folded rows go to Parquet and come back as Arrow for the
delta-rs commit (apply.py `commit_folded`); on Databricks they feed the MERGE.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from platform_assets.contracts import TableContract
from platform_assets.lake import Lake
from platform_assets.processed.apply import Folded, PendingBatch
from platform_assets.processed.compute.spark_changes import last_change_per_key, read_files


@dataclass
class SparkFolded:
    source: DataFrame | None  # None: nothing pending
    watermark: str
    changes_read: int = 0
    recomputed: list | None = None  # keys recomputed from the raw history
    rows_folded: int = 0


def fold(spark: SparkSession, lake: Lake, c: TableContract, batch: PendingBatch) -> SparkFolded:
    applied = set(batch.result.files_applied)
    changes = read_files(spark, lake, c, [f for f in batch.files if f.name in applied])
    if changes is None:
        return SparkFolded(None, batch.committed)
    changes = changes.cache()
    committed = F.lit(batch.committed)
    fresh = changes.filter(F.col("_pos") > committed)
    stats = changes.agg(
        F.count(F.lit(1)).alias("n"), F.max(F.when(F.col("_pos") > committed, F.col("_pos"))).alias("top")
    ).first()
    source = last_change_per_key(fresh, c.key)
    stale_keys = [r[0] for r in changes.filter(F.col("_pos") <= committed).select(c.key).distinct().collect()]
    recomputed = None
    if stale_keys:
        recomputed = sorted(stale_keys)
        keys = spark.createDataFrame([(k,) for k in recomputed], f"`{c.key}` bigint")
        history = read_files(spark, lake, c, batch.history_files(lake, c)).join(
            F.broadcast(keys), c.key, "left_semi"
        )
        source = last_change_per_key(source.unionByName(history, allowMissingColumns=True), c.key)
    watermark = max(batch.committed, stats["top"]) if stats["top"] else batch.committed
    return SparkFolded(source, watermark, stats["n"], recomputed)


def _expected_types(c: TableContract, batch: PendingBatch) -> dict[str, pa.DataType]:
    """The Arrow types raw/read.py gives each column (drift columns: as the files had them)."""
    types = {"_op": pa.string(), "_pos": pa.string(), "_commit_ts": pa.timestamp("us", tz="UTC")}
    types |= {f.name: f.type for f in c.arrow_schema()}
    for t in batch.changes:
        types |= {f.name: f.type for f in t.schema if f.name not in types}
    return types


def to_arrow(folded: SparkFolded, c: TableContract, batch: PendingBatch) -> Folded:
    """The folded rows written as Parquet by Spark and read back with the types of the
    delta-rs path, for apply.py's commit."""
    if folded.source is None:
        return Folded(None, folded.watermark)
    staging = tempfile.mkdtemp(prefix=f"lakehouse-fold-{c.name}-")
    try:
        folded.source.write.mode("overwrite").parquet(f"{staging}/folded")
        table = pq.read_table(f"{staging}/folded")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    types = _expected_types(c, batch)
    order = [n for n in types if n in table.column_names]
    order += [n for n in table.column_names if n not in types]
    table = pa.table({n: pc.cast(table[n], types.get(n, table[n].type)) for n in order})
    folded.rows_folded = table.num_rows
    keys = None if folded.recomputed is None else pa.array(folded.recomputed, pa.int64())
    return Folded(table, folded.watermark, folded.changes_read, keys)
