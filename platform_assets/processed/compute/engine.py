"""`ProcessedEngine`: where a processed table's apply runs, a resource setting per profile.

- `delta-rs` (default): in the asset's process (processed/apply.py). For small volumes, in a
  container.
- `spark-pipes`: spark_job.py in a subprocess through `PipesSubprocessClient`, with a local
  PySpark session; Spark folds, delta-rs commits. The raw zone must be a local folder (local
  Spark here has no S3 connector).
- `databricks`: spark_job.py as a Databricks job run through `PipesDatabricksClient`
  (databricks_task.py); Spark folds and MERGEs into Delta. For large volumes.

A job that exits non-zero or is killed fails the asset: its own error arrives through Pipes
(an engine event with the exception), and the failure names the table and the exit code.
"""

from __future__ import annotations

import signal
import sys
from typing import Literal

from dagster import AssetExecutionContext, ConfigurableResource, Failure
from dagster._core.errors import DagsterPipesExecutionError
from pydantic import Field

from platform_assets.contracts import TableContract
from platform_assets.resources import LakeResource

JOB_MODULE = "platform_assets.processed.compute.spark_job"
# storage options the job may see: where the lake is, never credentials
_PUBLIC_OPTIONS = ("AWS_REGION", "AWS_ENDPOINT_URL", "AWS_ALLOW_HTTP")


class ProcessedEngine(ConfigurableResource):
    """Which engine applies raw changes to the processed tables (see the module docstring)."""

    kind: Literal["delta-rs", "spark-pipes", "databricks"] = "delta-rs"
    spark_cores: int = Field(default=2, description="local Spark cores (spark-pipes)")
    databricks_host: str | None = None
    databricks_token: str | None = None  # an EnvVar in the profile
    job_python_file: str = Field(
        default="dbfs:/lakehouse/spark_job.py", description="where spark_job.py is uploaded"
    )
    wheel: str | None = Field(default=None, description="the platform's wheel on DBFS/Volumes")
    spark_version: str = "15.4.x-scala2.12"
    node_type_id: str = "m5d.large"
    min_workers: int = 1
    max_workers: int = 8
    instance_profile_arn: str | None = None
    policy_id: str | None = Field(default=None, description="the cluster policy (databricks_objects.py)")
    timeout_seconds: int = 3600

    @property
    def in_process(self) -> bool:
        return self.kind == "delta-rs"

    def run_job(
        self, context: AssetExecutionContext, lake: LakeResource, c: TableContract, operation: str = "apply"
    ) -> dict:
        """Run spark_job.py for one table; the metadata it reported."""
        the_lake = lake.lake()
        extras = {
            "table": c.name,
            "operation": operation,
            "lake_root": the_lake.root,
            "storage_options": {k: v for k, v in the_lake.storage_options.items() if k in _PUBLIC_OPTIONS},
        }
        try:
            if self.kind == "spark-pipes":
                if the_lake.is_s3:
                    raise Failure(
                        f"processed/{c.name}: the spark-pipes engine reads the raw zone "
                        f"with local Spark, which has no S3 connector here; use "
                        f"'databricks' or 'delta-rs' for {the_lake.root}"
                    )
                invocation = self._subprocess_client().run(
                    context=context,
                    extras=extras,
                    command=[
                        sys.executable,
                        "-m",
                        JOB_MODULE,
                        "--commit",
                        "delta-rs",
                        "--cores",
                        str(self.spark_cores),
                    ],
                )
            elif self.kind == "databricks":
                invocation = self._databricks_client().run(
                    context=context, extras=extras, task=self.submit_task(c, operation)
                )
            else:
                raise ValueError(f"engine {self.kind!r} runs in process, not as a job")
        except DagsterPipesExecutionError as exc:
            raise Failure(
                f"processed/{c.name}: the {self.kind} job failed: {_exit(exc)}; the "
                f"job's own error is in the run's log ([pipes] engine event)"
            ) from exc
        results = invocation.get_results()
        if not results:
            raise Failure(f"processed/{c.name}: the {self.kind} job reported no result")
        return dict(results[-1].metadata or {})

    def submit_task(self, c: TableContract, operation: str = "apply"):
        from platform_assets.processed.compute.databricks_objects import ClusterSettings, LakeAccess
        from platform_assets.processed.compute.databricks_task import submit_task

        cluster = ClusterSettings(
            spark_version=self.spark_version,
            node_type_id=self.node_type_id,
            min_workers=self.min_workers,
            max_workers=self.max_workers,
            policy_id=self.policy_id,
        )
        access = (
            LakeAccess(instance_profile_arn=self.instance_profile_arn) if self.instance_profile_arn else None
        )
        return submit_task(
            table=c.name,
            operation=operation,
            python_file=self.job_python_file,
            wheel=self.wheel,
            cluster=cluster,
            access=access,
            timeout_seconds=self.timeout_seconds,
        )

    def _subprocess_client(self):
        from dagster import PipesSubprocessClient

        return PipesSubprocessClient()

    def _databricks_client(self):
        from dagster_databricks import PipesDatabricksClient
        from databricks.sdk import WorkspaceClient

        if not (self.databricks_host and self.databricks_token):
            raise Failure(
                "the databricks engine needs databricks_host and databricks_token "
                "(PLATFORM_DATABRICKS_HOST, PLATFORM_DATABRICKS_TOKEN)"
            )
        return PipesDatabricksClient(
            client=WorkspaceClient(host=self.databricks_host, token=self.databricks_token)
        )


def _exit(exc: Exception) -> str:
    """The exit code, and the signal's name when a signal killed the job."""
    text = str(exc)
    code = text.rsplit(" ", 1)[-1]
    if code.lstrip("-").isdigit() and int(code) < 0:
        return f"{text} (killed by {signal.Signals(-int(code)).name})"
    return text
