"""The processed zone's Spark job for one table, run through Dagster Pipes.

    python -m platform_assets.processed.compute.spark_job [--commit delta-rs|spark-sql]
                                                          [--pipes default|dbfs]

and, on Databricks, the same file as a `spark_python_task`. What to do comes in the Pipes
extras: `table`, `lake_root`, `storage_options` (never secrets: a cluster uses its instance
profile), `operation` (`apply`, `zorder` or `vacuum`).

apply: the pending raw files are checked by the shared rules (raw/read.py, quarantine,
redeliveries: processed/apply.py `read_pending`), read with Spark, given their positions and
folded with the same watermark and late-file rules (spark_fold.py). Then:
- `--commit delta-rs` (local: Delta's Spark jars are not installable here): Spark writes the
  folded changes as Parquet and apply.py's delta-rs commit finishes, watermark in the commit,
  applied log after. With nothing pending, no Spark session is started at all.
- `--commit spark-sql` (Databricks): `MERGE INTO` from the contract (spark_sql.py), the
  watermark in the commit's userMetadata, the applied log after.
zorder / vacuum: `OPTIMIZE ... ZORDER BY` the contract's clustering and `VACUUM ... RETAIN`
its retention (spark-sql), or maintenance/operations.py (delta-rs); both carry the table's
state keys forward.

It reports rows read and folded, files and the Delta version as the asset's materialization,
and logs through Pipes. Any error ends the job non-zero with the error reported to Dagster.
"""

from __future__ import annotations

import argparse
import os
import time

from platform_assets.contracts import CONTRACTS, TableContract
from platform_assets.lake import Lake

OPERATIONS = ("apply", "zorder", "vacuum")


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="spark_job", description=__doc__.splitlines()[0])
    p.add_argument("--commit", choices=("delta-rs", "spark-sql"), default="delta-rs")
    p.add_argument("--pipes", choices=("default", "dbfs"), default="default")
    p.add_argument("--cores", type=int, default=2, help="local Spark cores (delta-rs commit)")
    return p.parse_args(argv)


def _contract(extras: dict) -> TableContract:
    name = extras.get("table")
    if name not in CONTRACTS:
        raise ValueError(f"spark_job: no contract for table {name!r}; known: {sorted(CONTRACTS)}")
    return CONTRACTS[name]


def _operation(extras: dict) -> str:
    op = extras.get("operation", "apply")
    if op not in OPERATIONS:
        raise ValueError(f"spark_job: operation {op!r} is not one of {OPERATIONS}")
    return op


def _spark(args: argparse.Namespace):
    from platform_assets.processed.compute import spark_changes

    if args.commit == "delta-rs":
        return spark_changes.session(cores=args.cores)
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()  # the cluster's session
    spark_changes.configure(spark)
    return spark


def apply_locally(args, lake: Lake, c: TableContract, log) -> tuple[object, dict]:
    """Spark folds, delta-rs commits."""
    from platform_assets.processed.apply import Folded, commit_folded, read_pending

    batch = read_pending(lake, c)
    rows_folded = 0
    if not batch.changes:
        log.info(f"{c.name}: no raw files pending; Spark not started")
        folded = Folded(None, batch.committed)
    else:
        from platform_assets.processed.compute.spark_fold import fold, to_arrow

        started = time.monotonic()
        spark = _spark(args)
        log.info(f"{c.name}: Spark {spark.version} session in {time.monotonic() - started:.1f} s")
        spark_folded = fold(spark, lake, c, batch)
        folded = to_arrow(spark_folded, c, batch)
        rows_folded = spark_folded.rows_folded
    return commit_folded(lake, c, batch, folded), {"rows_folded": rows_folded}


def apply_on_spark_sql(args, lake: Lake, c: TableContract, log) -> tuple[object, dict]:
    """Spark folds and MERGEs into Delta (Databricks)."""
    from platform_assets.processed import applied_log
    from platform_assets.processed.apply import read_pending
    from platform_assets.processed.compute import spark_sql
    from platform_assets.processed.compute.spark_changes import with_key_bucket
    from platform_assets.processed.compute.spark_fold import fold
    from platform_assets.processed.delta import WATERMARK_KEY
    from platform_assets.storage.delta import open_table

    batch = read_pending(lake, c)
    result = batch.result
    spark = _spark(args)
    folded = fold(spark, lake, c, batch)
    uri = lake.delta_uri("processed", c.name)
    if folded.source is not None:
        result.changes_read = folded.changes_read
        result.recomputed_keys = len(folded.recomputed or [])
        source = with_key_bucket(folded.source, c).cache()
        folded.rows_folded = source.count()
        buckets = [r[0] for r in source.select("_key_bucket").distinct().collect()]
        if buckets:
            if result.new_columns:  # metadata-only, carrying the unchanged watermark
                spark.conf.set(
                    spark_sql.USER_METADATA_CONF, spark_sql.commit_metadata({WATERMARK_KEY: batch.committed})
                )
                types = dict(source.dtypes)
                spark.sql(spark_sql.add_columns_sql(uri, {n: types[n] for n in result.new_columns}))
            view = f"lakehouse_folded_{c.name}"
            source.createOrReplaceTempView(view)
            spark.conf.set(
                spark_sql.USER_METADATA_CONF, spark_sql.commit_metadata({WATERMARK_KEY: folded.watermark})
            )
            try:
                row = spark.sql(spark_sql.merge_sql(c, uri, view, buckets, tuple(result.new_columns))).first()
                counts = row.asDict() if row else {}  # Delta's MERGE result row
                result.merge_metrics = {
                    f"num_target_rows_{k}": counts.get(f"num_{k}_rows", 0)
                    for k in ("inserted", "updated", "deleted")
                }
            finally:
                spark.conf.unset(spark_sql.USER_METADATA_CONF)
    result.delta_version = open_table(lake, "processed", c.name).version()
    result.watermark = folded.watermark
    outcomes = {name: "applied" for name in result.files_applied}
    outcomes |= {name: "quarantined" for name in result.files_quarantined}
    applied_log.record(lake, c.name, outcomes, result.delta_version)
    return result, {"rows_folded": folded.rows_folded}


def maintain(args, lake: Lake, c: TableContract, operation: str) -> dict:
    from platform_assets.maintenance import operations
    from platform_assets.maintenance.targets import targets

    target = next(t for t in targets(("processed",)) if t.table == c.name)
    if args.commit == "delta-rs":
        report = operations.zorder(lake, target) if operation == "zorder" else operations.vacuum(lake, target)
        return report.metadata() if report else {"skipped": "no table"}
    from platform_assets.processed.compute import spark_sql
    from platform_assets.storage.delta import open_table
    from platform_assets.storage.delta_log import carried_state

    uri = target.uri(lake)
    dt = open_table(lake, "processed", c.name)
    if dt is None:
        return {"skipped": "no table"}
    state = carried_state(lake, uri, dt.version())
    sql = (
        spark_sql.zorder_sql(uri, target.clustering)
        if operation == "zorder"
        else spark_sql.vacuum_sql(uri, operations.vacuum_retention(target))
    )
    spark = _spark(args)
    if operation == "zorder":
        state[operations.ZORDER_MARK] = ",".join(target.clustering)
    spark.conf.set(spark_sql.USER_METADATA_CONF, spark_sql.commit_metadata(state))
    try:
        spark.sql(sql)
    finally:
        spark.conf.unset(spark_sql.USER_METADATA_CONF)
    return {
        "operation": operation,
        "statement": sql,
        "delta_version": open_table(lake, "processed", c.name).version(),
    }


def _pipes(args: argparse.Namespace):
    from dagster_pipes import open_dagster_pipes

    if args.pipes == "dbfs":
        from dagster_pipes import PipesDbfsContextLoader, PipesDbfsMessageWriter

        return open_dagster_pipes(
            context_loader=PipesDbfsContextLoader(), message_writer=PipesDbfsMessageWriter()
        )
    return open_dagster_pipes()


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    with _pipes(args) as pipes:
        extras = dict(pipes.extras)
        pipes.log.info(
            f"spark_job started: table {extras.get('table')!r}, operation "
            f"{extras.get('operation', 'apply')!r}, commit {args.commit}, "
            f"pid {os.getpid()}"
        )
        c, operation = _contract(extras), _operation(extras)
        lake = Lake(str(extras["lake_root"]), dict(extras.get("storage_options") or {}))
        engine = {"engine": f"spark ({args.commit} commit)"}
        if operation != "apply":
            pipes.report_asset_materialization(metadata={**maintain(args, lake, c, operation), **engine})
            return
        from platform_assets.processed.compute.report import apply_metadata, apply_warnings

        run = apply_locally if args.commit == "delta-rs" else apply_on_spark_sql
        result, counts = run(args, lake, c, pipes.log)
        for warning in apply_warnings(c, result):
            pipes.log.warning(warning)
        pipes.report_asset_materialization(metadata=apply_metadata(lake, c, result, **counts, **engine))


if __name__ == "__main__":
    main()
