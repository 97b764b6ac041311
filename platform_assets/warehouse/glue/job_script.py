"""The Glue job that copies one curated Delta version's new files into the warehouse.

On Glue (`glueetl`, Glue 5): `--manifest s3://.../<table>/<load id>.json` (written by
launcher.py) names the table, its columns as the warehouse copy has them, the data files to
add (with partition values from the Delta log), the load id and time, and the loader's own
SQL: `preactions` delete the rows of files that left the snapshot (and of the files about to
be added, so a retried run never doubles rows), `postactions` record the files and the load
(warehouse/load_sql.py). The Snowflake Spark connector runs them around its write. Snowflake's
login comes from a Secrets Manager secret (`--snowflake_secret`, JSON with sfURL, sfUser,
sfPassword, sfDatabase, sfWarehouse, sfRole). Dagster Pipes (S3 context and messages) reports
the rows written as the asset's materialization.

This file imports only pyspark and the standard library at module level: Glue runs it as is,
and the tests import `copy_rows` to run it in local Spark.
"""

from __future__ import annotations

import json
import sys

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

CONNECTOR_FORMAT = "net.snowflake.spark.snowflake"  # bundled with Glue 4 and later
SPARK_TYPES = {  # the warehouse copy's types (contracts/types.py) as Spark types
    "bigint": "bigint",
    "integer": "int",
    "int": "int",
    "varchar": "string",
    "boolean": "boolean",
    "double": "double",
    "date": "date",
    "timestamp": "timestamp",
    "timestamptz": "timestamp",
}


def spark_type(warehouse_type: str) -> str:
    t = warehouse_type.lower()
    if t.startswith(("numeric", "decimal")):
        return t.replace("numeric", "decimal")
    if t not in SPARK_TYPES:
        raise ValueError(f"glue load: no Spark type for the warehouse type {warehouse_type!r}")
    return SPARK_TYPES[t]


def copy_rows(spark: SparkSession, manifest: dict) -> DataFrame:
    """The rows the warehouse copy holds for the manifest's files, in its column order: the
    files' columns (as the lake types them; one missing from older files is null), the
    partition values from the Delta log, `_file` (path under the zone), `_load_id`, `_loaded_at`."""
    columns = [(n, t) for n, t in manifest["columns"]]
    parts = list(manifest.get("partition_columns", []))
    files = manifest["files"]
    data = spark.read.option("mergeSchema", "true").parquet(*(f["uri"] for f in files))
    present = set(data.columns)
    picked = [
        F.col(n) if n in present else F.lit(None).cast(spark_type(t)).alias(n)
        for n, t in columns
        if n not in parts
    ]
    data = data.select(*picked, F.col("_metadata.file_path").alias("_path"))
    names = spark.createDataFrame(
        [
            (
                f["path"],
                f["zone_path"],
                *(None if f["partition"].get(p) is None else str(f["partition"][p]) for p in parts),
            )
            for f in files
        ],
        f"path string, zone_path string{''.join(f', {p} string' for p in parts)}",
    )
    # a data file's URI as Spark reports it ends with its path relative to the table
    joined = data.join(
        F.broadcast(names), F.col("_path").endswith(F.concat(F.lit("/"), names["path"])), "inner"
    )
    types = dict(columns)
    out = [F.col(n).cast(spark_type(types[n])).alias(n) if n in parts else F.col(n) for n, _ in columns]
    return joined.select(
        *out,
        F.col("zone_path").alias("_file"),
        F.lit(int(manifest["load_id"])).cast("bigint").alias("_load_id"),
        F.lit(manifest["loaded_at"]).cast("timestamp").alias("_loaded_at"),
    )


def snowflake_options(secret: dict, manifest: dict) -> dict[str, str]:
    login = {
        k: secret[k]
        for k in ("sfURL", "sfUser", "sfPassword", "sfDatabase", "sfWarehouse", "sfRole")
        if k in secret
    }
    schema, table = manifest["relation"].split(".")
    return {
        **login,
        "sfSchema": schema,
        "dbtable": table,
        "preactions": ";".join(manifest["preactions"]),
        "postactions": ";".join(manifest["postactions"]),
        "column_mapping": "name",
    }


def _read_json(s3, uri: str) -> dict:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def main(argv: list[str]) -> None:  # pragma: no cover - runs on Glue
    import boto3
    from awsglue.context import GlueContext
    from awsglue.utils import getResolvedOptions
    from dagster_pipes import PipesS3ContextLoader, PipesS3MessageWriter, open_dagster_pipes
    from pyspark.context import SparkContext

    args = getResolvedOptions(argv, ["manifest", "snowflake_secret"])
    s3 = boto3.client("s3")
    with open_dagster_pipes(
        context_loader=PipesS3ContextLoader(client=s3), message_writer=PipesS3MessageWriter(client=s3)
    ) as pipes:
        manifest = _read_json(s3, args["manifest"])
        secret = json.loads(
            boto3.client("secretsmanager").get_secret_value(SecretId=args["snowflake_secret"])["SecretString"]
        )
        spark = GlueContext(SparkContext.getOrCreate()).spark_session
        spark.conf.set("spark.sql.session.timeZone", "UTC")
        rows = copy_rows(spark, manifest).cache()
        n = rows.count()
        rows.write.format(CONNECTOR_FORMAT).options(**snowflake_options(secret, manifest)).mode(
            "append"
        ).save()
        pipes.log.info(f"{manifest['relation']}: {n} rows of {len(manifest['files'])} files written")
        pipes.report_custom_message({"rows_written": n, "files_added": len(manifest["files"])})


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv)
