"""`GlueWarehouseLoad`: runs the Glue job for one table's load, through Dagster Pipes.

The script (job_script.py) is uploaded to `<lake>/_jobs/glue/warehouse_load.py` and the job
created, or updated when its definition changed, before a run (so a deploy needs no separate
step). Each run gets its manifest under `<lake>/_jobs/glue/manifests/<table>/<load id>.json`
and is launched by dagster-aws's `PipesGlueClient` (context through S3 under `<lake>/_pipes/`,
messages through S3 in the lake's bucket), which follows the run to its final state; a run
that does not succeed fails the load with the run's id and error. The run's id, state, URL
and manifest go into the asset's metadata.
"""

from __future__ import annotations

import json
from pathlib import Path

from dagster import AssetExecutionContext, MetadataValue
from dagster_aws.pipes import PipesGlueClient, PipesS3ContextInjector, PipesS3MessageReader
from pydantic import Field

from platform_assets.aws import AwsResource
from platform_assets.errors import PlatformError
from platform_assets.warehouse.delta_files import DeltaSnapshot
from platform_assets.warehouse.glue import job
from platform_assets.warehouse.load_sql import CopiedTable, Dialect, LoadBatch

SCRIPT = Path(__file__).with_name("job_script.py")
# what update_job may change (create_job's request minus the name and tags)
_UPDATABLE = (
    "Description",
    "Role",
    "Command",
    "GlueVersion",
    "WorkerType",
    "NumberOfWorkers",
    "Timeout",
    "MaxRetries",
    "ExecutionProperty",
    "DefaultArguments",
    "Connections",
)


def _split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


class GlueWarehouseLoad(AwsResource):
    """The Glue job that loads tables whose contract selects `warehouse_load="glue"`."""

    lake_root: str = Field(description="The lake's root on S3 (the script, manifests, Pipes files)")
    role_arn: str = Field(description="The IAM role the Glue job runs as")
    job_name: str = job.JOB_NAME
    snowflake_secret: str = Field(default="lakehouse/snowflake-loader", description="Secrets Manager id")
    connections: list[str] = Field(default_factory=list, description="Glue connections (network)")
    glue_version: str = "5.0"
    worker_type: str = "G.1X"
    workers: int = 2
    poll_interval_s: float = 5.0

    def _uri(self, *parts: str) -> str:
        if not self.lake_root.startswith("s3://"):
            raise PlatformError(f"the Glue load needs the lake on S3, not {self.lake_root}")
        return "/".join([self.lake_root.rstrip("/"), *parts])

    def definition(self) -> dict:
        return job.job_definition(
            name=self.job_name,
            role_arn=self.role_arn,
            script_uri=self._uri("_jobs", "glue", job.SCRIPT_NAME),
            temp_dir=self._uri("_jobs", "glue", "tmp") + "/",
            snowflake_secret=self.snowflake_secret,
            connections=self.connections,
            glue_version=self.glue_version,
            worker_type=self.worker_type,
            workers=self.workers,
        )

    def ensure_job(self) -> str:
        """Upload the script and create or update the job; "created", "updated" or "found"."""
        d = self.definition()
        bucket, key = _split(d["Command"]["ScriptLocation"])
        self.client("s3").put_object(Bucket=bucket, Key=key, Body=SCRIPT.read_bytes())
        glue = self.client("glue")
        try:
            found = glue.get_job(JobName=self.job_name)["Job"]
        except glue.exceptions.EntityNotFoundException:
            glue.create_job(**d)
            return "created"
        wanted = {k: d[k] for k in _UPDATABLE if k in d}
        if all(found.get(k) == v for k, v in wanted.items()):
            return "found"
        glue.update_job(JobName=self.job_name, JobUpdate=wanted)
        return "updated"

    def run(
        self,
        context: AssetExecutionContext,
        c: CopiedTable,
        batch: LoadBatch,
        snap: DeltaSnapshot,
        dialect: Dialect,
    ) -> dict:
        """Load one table's batch with a Glue run; the run's metadata for the asset."""
        job_state = self.ensure_job()
        uri = self._uri("_jobs", "glue", "manifests", c.name, f"{batch.load_id}.json")
        bucket, key = _split(uri)
        s3, glue = self.client("s3"), self.client("glue")
        body = json.dumps(job.manifest(c, batch, snap, dialect), sort_keys=True).encode()
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        pipes_bucket, pipes_prefix = _split(self._uri("_pipes"))
        client = PipesGlueClient(
            client=glue,
            context_injector=PipesS3ContextInjector(
                bucket=pipes_bucket, client=s3, key_prefix=f"{pipes_prefix}/"
            ),
            message_reader=PipesS3MessageReader(
                bucket=pipes_bucket, client=s3, interval=self.poll_interval_s, include_stdio_in_messages=False
            ),
        )
        try:
            invocation = client.run(
                context=context,
                start_job_run_params={
                    "JobName": self.job_name,
                    "Arguments": {"--manifest": uri, "--table": c.relation},
                },
                extras={"table": c.relation, "load_id": batch.load_id, "delta_version": batch.delta_version},
            )
        except RuntimeError as exc:
            raise PlatformError(f"{c.relation}: the Glue load failed: {exc}") from exc
        meta = {k: v.value for k, v in invocation.metadata.items()}  # PipesGlueClient's
        run_id = meta["AWS Glue Job Run ID"]
        state = glue.get_job_run(JobName=self.job_name, RunId=run_id)["JobRun"]["JobRunState"]
        return {
            "load_path": "glue",
            "glue_job": self.job_name,
            "glue_job_definition": job_state,
            "glue_job_run_id": run_id,
            "glue_job_run_state": state,
            "glue_job_run_url": MetadataValue.url(meta["AWS Glue Job Run URL"]),
            "glue_manifest": uri,
        }
