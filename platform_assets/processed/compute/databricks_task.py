"""The Databricks job spec for the Spark job: a one-task run on a new autoscaling cluster.

Built with databricks-sdk's types and submitted by dagster-databricks's
`PipesDatabricksClient`, which adds the Pipes bootstrap to the cluster's environment. The job
script is spark_job.py uploaded where `python_file` says; the platform's wheel is installed
on the cluster as a library, so the script imports the same rules as the delta-rs engine.
The cluster is databricks_objects.py's `cluster_spec` (policy, autoscaling, lake access).
"""

from __future__ import annotations

from databricks.sdk.service import compute, jobs

from platform_assets.processed.compute.databricks_objects import ClusterSettings, LakeAccess, cluster_spec


def submit_task(
    *,
    table: str,
    operation: str,
    python_file: str,
    wheel: str | None,
    cluster: ClusterSettings,
    access: LakeAccess | None = None,
    timeout_seconds: int = 3600,
) -> jobs.SubmitTask:
    libraries = [compute.Library(whl=wheel)] if wheel else []
    return jobs.SubmitTask(
        task_key=f"lakehouse_processed_{table}_{operation}",
        description=f"processed.{table}: {operation} (platform_assets.processed.compute)",
        new_cluster=cluster_spec(cluster, access),
        spark_python_task=jobs.SparkPythonTask(
            python_file=python_file, parameters=["--commit", "spark-sql", "--pipes", "dbfs"]
        ),
        libraries=libraries,
        timeout_seconds=timeout_seconds,
    )
