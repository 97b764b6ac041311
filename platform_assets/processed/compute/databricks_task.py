"""The Databricks job spec for the Spark job: a one-task run on a new autoscaling cluster.

Built with databricks-sdk's types and submitted by dagster-databricks's
`PipesDatabricksClient`, which adds the Pipes bootstrap to the cluster's environment. The job
script is spark_job.py uploaded where `python_file` says; the platform's wheel is installed
on the cluster as a library, so the script imports the same rules as the delta-rs engine.
"""

from __future__ import annotations

from databricks.sdk.service import compute, jobs

from platform_assets.processed.compute.spark_sql import SPARK_CONF


def submit_task(
    *,
    table: str,
    operation: str,
    python_file: str,
    wheel: str | None,
    spark_version: str,
    node_type_id: str,
    min_workers: int,
    max_workers: int,
    instance_profile_arn: str | None = None,
    timeout_seconds: int = 3600,
) -> jobs.SubmitTask:
    libraries = [compute.Library(whl=wheel)] if wheel else []
    aws = compute.AwsAttributes(instance_profile_arn=instance_profile_arn) if instance_profile_arn else None
    return jobs.SubmitTask(
        task_key=f"lakehouse_processed_{table}_{operation}",
        description=f"processed.{table}: {operation} (platform_assets.processed.compute)",
        new_cluster=compute.ClusterSpec(
            spark_version=spark_version,
            node_type_id=node_type_id,
            autoscale=compute.AutoScale(min_workers=min_workers, max_workers=max_workers),
            aws_attributes=aws,
            spark_conf=dict(SPARK_CONF),
        ),
        spark_python_task=jobs.SparkPythonTask(
            python_file=python_file, parameters=["--commit", "spark-sql", "--pipes", "dbfs"]
        ),
        libraries=libraries,
        timeout_seconds=timeout_seconds,
    )
