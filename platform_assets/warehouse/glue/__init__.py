"""The Glue path into the warehouse: a curated table whose contract says `warehouse_load="glue"`
is copied into Snowflake by a Glue Spark job instead of `COPY INTO`.

- `job_script.py`: the Glue job (PySpark; self-contained, uploaded as is): reads the Delta
  version's data files named in a manifest, shapes the rows of the warehouse copy
  (`copy_rows`) and writes them with the Snowflake Spark connector, the loader's own
  statements as pre- and post-actions (delete rows of files that left the snapshot, record
  the load), reporting back through Dagster Pipes.
- `job.py`: the Glue job's definition (`create_job` arguments) and the load's manifest.
- `launcher.py`: `GlueWarehouseLoad`, the resource that uploads the script, creates or
  updates the job and runs it through dagster-aws's `PipesGlueClient`.
"""
