"""DMS files read with Spark into changes, and folded to the last change per key: the Spark
twin of raw/read.py's output and processed/apply.py's fold, equal to them row for row
(tests/test_spark_fold.py).

- Each file is read as DMS wrote it: Parquet with its own types; CSV (`.csv`, `.csv.gz`) with
  a header and every value as text, empty meaning null. Each is cast to the contract's types.
- `_pos` is built from raw/positions.py's layout constants in Spark SQL: a full load by LOAD
  counter and row, CDC by commit time (microseconds) then `_change_seq` or file time and row.
  A Parquet row's number is Spark's `_metadata.row_index`; a CSV row's is its rank by
  `monotonically_increasing_id()` within its file, which keeps a file's order (one file's
  splits are read in offset order).
- Each file's columns come from its footer or header, read on the driver (Spark's own
  inference costs a Spark job per file). Files are read one DataFrame each and unioned by
  name: files of one table may differ in `_change_seq`'s type, in columns (an added source
  column) and in format.
- Checks stay in one place: the job validates pending files with raw/read.py first
  (quarantine, types, nulls, redeliveries), so what Spark reads here has passed them.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from functools import reduce

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.pandas.types import from_arrow_schema
from pyspark.sql.types import StringType, StructField, StructType

from platform_assets.contracts import TableContract
from platform_assets.lake import Lake
from platform_assets.processed.compute.spark_sql import SPARK_CONF
from platform_assets.raw import positions as P
from platform_assets.raw.dms_layout import (
    CHANGE_SEQ_COLUMN,
    DMS_COLUMNS,
    OP_COLUMN,
    TIMESTAMP_COLUMN,
    RawFile,
)

CHANGE_COLUMNS = ("_op", "_pos", "_commit_ts")


def spark_type(t: pa.DataType) -> str:
    """The Spark SQL type of a contract column's Arrow type."""
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if pa.types.is_timestamp(t):
        return "timestamp"
    simple = {
        pa.int64(): "bigint",
        pa.int32(): "int",
        pa.string(): "string",
        pa.bool_(): "boolean",
        pa.date32(): "date",
        pa.float64(): "double",
    }
    if t in simple:
        return simple[t]
    raise ValueError(f"no Spark type for Arrow type {t}")


def session(app: str = "lakehouse-processed", cores: int = 2) -> SparkSession:
    """A local Spark session with SPARK_CONF, no UI, few shuffle partitions."""
    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(2 * cores))
    )
    # Python workers (mapInArrow) run this interpreter, with its packages: PySpark takes the
    # worker's interpreter from PYSPARK_PYTHON when the context starts (default: `python3`)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for k, v in SPARK_CONF.items():
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def configure(spark: SparkSession) -> None:
    """SPARK_CONF on a session someone else built (a Databricks cluster's)."""
    for k, v in SPARK_CONF.items():
        spark.conf.set(k, v)


def _digits(col: Column, width: int) -> Column:
    # lpad cuts longer values: every input here is checked to fit (raw/read.py, positions.py)
    return F.lpad(col.cast("string"), width, "0")


def _position(f: RawFile, cols: list[str], commit_ts: Column, row: Column) -> Column:
    if f.kind == "load":
        return F.concat(F.lit(P.FULL_LOAD + f.stem), _digits(row, P.ROW_WIDTH))
    micros = _digits(F.unix_micros(commit_ts), P.COMMIT_WIDTH)
    if CHANGE_SEQ_COLUMN in cols:
        return F.concat(
            F.lit(P.CDC), micros, F.lit(P.SEQUENCED), _digits(F.col(CHANGE_SEQ_COLUMN), P.SEQ_WIDTH)
        )
    return F.concat(
        F.lit(P.CDC), micros, F.lit(P.FILE_ORDERED + f.stem.replace("-", "")), _digits(row, P.ROW_WIDTH)
    )


def _file_schema(lake: Lake, f: RawFile) -> StructType:
    """The file's columns from its Parquet footer or CSV header, read on the driver: given a
    schema, Spark skips its own inference, one Spark job per file."""
    fs = lake.filesystem()
    if f.fmt == "parquet":
        return from_arrow_schema(pq.read_schema(lake.fs_path(f.uri), filesystem=fs))
    with fs.open_input_stream(lake.fs_path(f.uri), compression="gzip" if f.gzip else None) as stream:
        header = next(csv.reader(io.TextIOWrapper(stream, encoding="utf-8")))
    return StructType([StructField(n, StringType()) for n in header])


def read_file(spark: SparkSession, lake: Lake, c: TableContract, f: RawFile) -> DataFrame:
    """One DMS file as changes: `_op`, `_pos`, `_commit_ts`, the contract's columns, then the
    columns the contract does not know (schema drift), as raw/read.py `read_changes` gives."""
    schema = _file_schema(lake, f)
    if f.fmt == "parquet":
        df = spark.read.schema(schema).parquet(f.uri).withColumn("__row", F.col("_metadata.row_index"))
    else:  # Spark reads `.gz` by its extension
        df = (
            spark.read.schema(schema)
            .option("header", True)
            .option("escape", '"')
            .csv(f.uri)
            .withColumn("__mid", F.monotonically_increasing_id())
            .withColumn("__row", F.row_number().over(Window.orderBy("__mid")) - 1)
            .drop("__mid")
        )
    cols = df.columns
    commit_ts = (
        F.col(TIMESTAMP_COLUMN).cast("timestamp")
        if TIMESTAMP_COLUMN in cols
        else F.lit(None).cast("timestamp")
    )
    op = F.upper(F.col(OP_COLUMN).cast("string")) if OP_COLUMN in cols else F.lit("I")
    out = [
        op.alias("_op"),
        _position(f, cols, commit_ts, F.col("__row")).alias("_pos"),
        commit_ts.alias("_commit_ts"),
    ]
    for col in c.columns:
        typ = spark_type(col.arrow_type)
        value = F.col(col.name) if col.name in cols else F.lit(None)
        if f.fmt == "csv" and typ == "boolean":
            value = F.lower(value)
        out.append(value.cast(typ).alias(col.name))
    known = {*c.column_names, *DMS_COLUMNS, "__row"}
    out += [F.col(n) for n in cols if n not in known]
    return df.select(out)


def read_files(spark: SparkSession, lake: Lake, c: TableContract, files: list[RawFile]) -> DataFrame | None:
    frames = [read_file(spark, lake, c, f) for f in files]
    if not frames:
        return None
    return reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), frames)


def last_change_per_key(changes: DataFrame, key: str) -> DataFrame:
    """One row per key: the change with the greatest `_pos` (processed/changes.py's rule)."""
    latest = Window.partitionBy(key).orderBy(F.col("_pos").desc())
    return changes.withColumn("__n", F.row_number().over(latest)).filter("__n = 1").drop("__n")


def with_key_bucket(changes: DataFrame, c: TableContract) -> DataFrame:
    from platform_assets.contracts.model import KEY_BUCKET_COLUMN

    return changes.withColumn(
        KEY_BUCKET_COLUMN, F.expr(f"`{c.key}` DIV {int(c.key_bucket_size)}").cast("bigint")
    )
