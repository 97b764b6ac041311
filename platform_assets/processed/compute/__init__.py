"""Where the processed zone's apply runs: the engine setting and the Spark job.

- `engine.py`: `ProcessedEngine`, a resource whose `kind` picks the engine per profile:
  `delta-rs` (in process, processed/apply.py), `spark-pipes` (the Spark job in a local PySpark
  session, run through Dagster Pipes in a subprocess) or `databricks` (the same job as a
  Databricks job run through dagster-databricks's `PipesDatabricksClient`).
- `spark_job.py`: the job script, `python -m platform_assets.processed.compute.spark_job`.
- `spark_changes.py`: reading DMS files, positions and the fold, in Spark.
- `spark_sql.py`: the Spark SQL the job runs on Databricks (MERGE, OPTIMIZE, VACUUM).
- `databricks_task.py`: the Databricks job spec (databricks-sdk types).
"""
