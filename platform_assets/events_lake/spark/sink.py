"""Where a micro-batch of the events stream is written: Parquet here, Delta on Databricks.

- `ParquetEventsSink` (local mode: Delta's Spark jars are not installable here): a Parquet
  folder partitioned by event date. A batch rewrites the partitions of its duplicate window
  (dynamic partition overwrite) with the stored rows of ids it does not hold and the first
  landed copy of each id it holds; a partition left empty (its only copy moved to another
  date) is removed.
- `DeltaEventsSink` (Databricks): a `MERGE INTO` the processed `events` Delta table with the
  local path's own predicates (events_lake/table.py `merge_predicate`, `replaces_stored`):
  insert new ids, replace a stored copy by an earlier landed one.

Both are idempotent: the same batch applied twice leaves the same rows.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema

from platform_assets.contracts.events import EventContract
from platform_assets.events_lake import table
from platform_assets.processed.compute.spark_sql import delta_table, quote

BATCH_VIEW = "lakehouse_events_batch"


def spark_schema(c: EventContract):
    return from_arrow_schema(c.processed_schema())


def _in_window(df: DataFrame, c: EventContract, window: list[date]) -> DataFrame:
    return df.where(F.col(c.partition_column).isin(window))


class ParquetEventsSink:
    """A local folder of Parquet files, partitioned like the Delta table (`event_date=...`)."""

    def __init__(self, path: str) -> None:
        self.path = path.removeprefix("file://")

    def _partition(self, c: EventContract, day: date) -> Path:
        return Path(self.path) / f"{c.partition_column}={day.isoformat()}"

    def stored(self, spark: SparkSession, c: EventContract, window: list[date]) -> DataFrame | None:
        if not any(self._partition(c, d).is_dir() for d in window):
            return None
        rows = spark.read.schema(spark_schema(c)).parquet(self.path)
        return _in_window(rows, c, window).select(*c.processed_schema().names)

    def write(
        self,
        spark: SparkSession,
        c: EventContract,
        window: list[date],
        batch: DataFrame,
        rows: DataFrame,
        days: set[date],
    ) -> None:
        """Replace the window's partitions by `rows` (checkpointed: read before anything is
        overwritten), which hold `days`; remove the window's partitions left without a row."""
        before = {d for d in window if self._partition(c, d).is_dir()}
        (
            rows.write.mode("overwrite")
            .option("partitionOverwriteMode", "dynamic")
            .partitionBy(c.partition_column)
            .parquet(self.path)
        )
        for day in sorted(before - days):
            shutil.rmtree(self._partition(c, day))

    def read(self, c: EventContract) -> pa.Table:
        """Every stored row in the processed schema, read with pyarrow (tests and checks)."""
        import pyarrow.dataset as ds

        part = ds.partitioning(pa.schema([c.processed_schema().field(c.partition_column)]), flavor="hive")
        t = ds.dataset(self.path, format="parquet", partitioning=part).to_table()
        return t.select(c.processed_schema().names).cast(c.processed_schema())


def merge_sql(uri: str, c: EventContract, window: list[date], source: str = BATCH_VIEW) -> str:
    """The Delta MERGE of one batch's first landed copies: table.py's `merge_new` in Spark SQL."""
    return (
        f"MERGE INTO {delta_table(uri)} AS t USING {quote(source)} AS s "
        f"ON {table.merge_predicate(c, window)} "
        f"WHEN MATCHED AND ({table.replaces_stored(c)}) THEN UPDATE SET * "
        f"WHEN NOT MATCHED THEN INSERT *"
    )


def create_sql(uri: str, c: EventContract) -> str:
    """The table, if the local path has not created it (same schema, same partitioning)."""
    columns = ", ".join(f"{quote(f.name)} {f.dataType.simpleString()}" for f in spark_schema(c).fields)
    return (
        f"CREATE TABLE IF NOT EXISTS {delta_table(uri)} ({columns}) USING DELTA "
        f"PARTITIONED BY ({quote(c.partition_column)})"
    )


class DeltaEventsSink:
    """The processed `events` Delta table, on a cluster with Delta (Databricks)."""

    def __init__(self, uri: str) -> None:
        self.uri = uri

    def stored(self, spark: SparkSession, c: EventContract, window: list[date]) -> DataFrame | None:
        spark.sql(create_sql(self.uri, c))
        return _in_window(spark.read.format("delta").load(self.uri), c, window)

    def write(
        self,
        spark: SparkSession,
        c: EventContract,
        window: list[date],
        batch: DataFrame,
        rows: DataFrame,
        days: set[date],
    ) -> None:
        """MERGE the batch's first landed copies (`rows` and `days` are the Parquet sink's)."""
        batch.createOrReplaceTempView(BATCH_VIEW)
        spark.sql(merge_sql(self.uri, c, window))
