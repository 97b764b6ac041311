"""The platform's Databricks objects as code, built with databricks-sdk's types.

One place for what a workspace needs to run the lake's Spark work:
- `cluster_policy`: a `compute.Policy` whose JSON definition (Databricks' policy language:
  `fixed`, `range`, `allowlist`, `regex`) bounds every cluster the jobs start: runtime,
  node types, autoscaling, auto-termination, the lake's access, UTC and microsecond Parquet
  timestamps (spark_sql.SPARK_CONF), the cost tag.
- `cluster_spec`: the autoscaling job cluster under that policy, reaching the lake either
  by an instance profile (`aws_attributes.instance_profile_arn`) or through Unity Catalog
  (an external location over the lake's bucket, `data_security_mode=SINGLE_USER`).
- `storage_credential` / `external_location`: the Unity Catalog objects for the lake.
- `events_stream_job`: the Structured Streaming job (events_lake/spark/job.py) as a
  `jobs.JobSettings`: one job cluster, a `spark_python_task`, Auto Loader over the landed
  events, a Delta sink, a file-arrival trigger on the raw events prefix.
- The apply job of the processed zone is submitted per run by `PipesDatabricksClient`
  (databricks_task.py); its `new_cluster` is `cluster_spec` too.

Nothing here talks to a workspace: the objects are validated by the SDK's own types
(`from_dict(as_dict())` round trips, tests/test_databricks_objects.py) and the cluster spec
is checked against the policy's rules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from databricks.sdk.service import catalog, compute, jobs

from platform_assets.processed.compute.spark_sql import SPARK_CONF

POLICY_NAME = "lakehouse-jobs"
COST_TAG = {"team": "data-platform", "product": "lakehouse"}
EVENTS_STREAM_MODULE = "platform_assets/events_lake/spark/job.py"


@dataclass(frozen=True)
class LakeAccess:
    """How clusters reach the lake: an instance profile, or Unity Catalog (an external
    location over `lake_url` with a storage credential for `role_arn`)."""

    instance_profile_arn: str | None = None
    uc_role_arn: str | None = None  # the IAM role of the UC storage credential
    lake_url: str | None = None  # s3://bucket/prefix: the external location (Unity Catalog)
    uc_name: str = "lakehouse_lake"

    def __post_init__(self) -> None:
        if bool(self.instance_profile_arn) == bool(self.uc_role_arn):
            raise ValueError(
                "LakeAccess: give exactly one of instance_profile_arn (instance profile) or "
                "uc_role_arn (Unity Catalog external location)"
            )
        if self.uc_role_arn and not (self.lake_url or "").startswith("s3://"):
            raise ValueError(f"LakeAccess: Unity Catalog needs the lake's s3:// URL, got {self.lake_url!r}")

    @property
    def unity_catalog(self) -> bool:
        return self.uc_role_arn is not None


@dataclass(frozen=True)
class ClusterSettings:
    spark_version: str = "15.4.x-scala2.12"
    node_type_id: str = "m5d.large"
    allowed_node_types: tuple[str, ...] = ("m5d.large", "m5d.xlarge", "m5d.2xlarge", "r5d.xlarge")
    min_workers: int = 1
    max_workers: int = 8
    autotermination_minutes: int = 20
    policy_id: str | None = None  # the id the workspace gave `cluster_policy`
    runtime_pattern: str = r"1[5-9]\.[0-9]+\.x-scala2\.12"
    tags: dict[str, str] = field(default_factory=lambda: dict(COST_TAG))


def lake_spark_conf() -> dict[str, str]:
    """What every lake cluster runs with (the local sessions' SPARK_CONF)."""
    return dict(SPARK_CONF)


def policy_definition(s: ClusterSettings, access: LakeAccess) -> dict:
    """The policy's rules, attribute path -> rule (Databricks' cluster policy JSON)."""
    rules: dict[str, dict] = {
        "spark_version": {"type": "regex", "pattern": s.runtime_pattern},
        "node_type_id": {
            "type": "allowlist",
            "values": list(s.allowed_node_types),
            "defaultValue": s.node_type_id,
        },
        "autoscale.min_workers": {
            "type": "range",
            "minValue": 1,
            "maxValue": s.min_workers,
            "defaultValue": 1,
        },
        "autoscale.max_workers": {"type": "range", "minValue": 1, "maxValue": s.max_workers},
        "autotermination_minutes": {"type": "range", "maxValue": s.autotermination_minutes},
        **{f"custom_tags.{k}": {"type": "fixed", "value": v} for k, v in s.tags.items()},
        **{f"spark_conf.{k}": {"type": "fixed", "value": v} for k, v in lake_spark_conf().items()},
    }
    if access.unity_catalog:
        rules["data_security_mode"] = {"type": "fixed", "value": compute.DataSecurityMode.SINGLE_USER.value}
    else:
        rules["aws_attributes.instance_profile_arn"] = {"type": "fixed", "value": access.instance_profile_arn}
    return rules


def cluster_policy(s: ClusterSettings, access: LakeAccess) -> compute.Policy:
    return compute.Policy(
        name=POLICY_NAME,
        description="Clusters of the lakehouse's jobs: bounded size, auto-termination, "
        "the lake's access, UTC.",
        definition=json.dumps(policy_definition(s, access), sort_keys=True),
        max_clusters_per_user=4,
    )


def cluster_spec(s: ClusterSettings, access: LakeAccess | None) -> compute.ClusterSpec:
    """The autoscaling job cluster, within `cluster_policy` (no `access`: the policy's)."""
    uc = access is not None and access.unity_catalog
    profile = access.instance_profile_arn if access is not None else None
    return compute.ClusterSpec(
        spark_version=s.spark_version,
        node_type_id=s.node_type_id,
        autoscale=compute.AutoScale(min_workers=s.min_workers, max_workers=s.max_workers),
        autotermination_minutes=s.autotermination_minutes,
        policy_id=s.policy_id,
        apply_policy_default_values=bool(s.policy_id) or None,
        aws_attributes=compute.AwsAttributes(instance_profile_arn=profile) if profile else None,
        data_security_mode=compute.DataSecurityMode.SINGLE_USER if uc else None,
        spark_conf=lake_spark_conf(),
        custom_tags=dict(s.tags),
    )


def storage_credential(access: LakeAccess) -> catalog.CreateStorageCredential:
    if not access.unity_catalog:
        raise ValueError("storage_credential: the lake is reached by an instance profile, not Unity Catalog")
    return catalog.CreateStorageCredential(
        name=f"{access.uc_name}_credential",
        aws_iam_role=catalog.AwsIamRoleRequest(role_arn=access.uc_role_arn),
        comment="The IAM role Unity Catalog assumes to read and write the lake.",
    )


def external_location(access: LakeAccess) -> catalog.ExternalLocationInfo:
    if not access.unity_catalog:
        raise ValueError("external_location: the lake is reached by an instance profile, not Unity Catalog")
    return catalog.ExternalLocationInfo(
        name=access.uc_name,
        url=access.lake_url.rstrip("/") + "/",
        credential_name=f"{access.uc_name}_credential",
        read_only=False,
        comment="The lakehouse's lake: raw, processed and curated zones.",
    )


def events_stream_job(
    s: ClusterSettings,
    access: LakeAccess,
    *,
    lake_url: str,
    job_root: str,
    wheel: str | None,
    stream: str,
    max_files_per_trigger: int = 1000,
) -> jobs.JobSettings:
    """The events stream on Databricks: Auto Loader -> MERGE into the processed events table,
    `availableNow` per run, a run when new objects land (file arrival trigger)."""
    lake = lake_url.rstrip("/")
    cluster_key = "lakehouse_events_stream"
    return jobs.JobSettings(
        name="lakehouse-events-stream",
        description="Landed clickstream objects into processed/events (events_lake/spark/job.py).",
        max_concurrent_runs=1,  # one writer of the checkpoint
        timeout_seconds=3600,
        tags=dict(s.tags),
        job_clusters=[jobs.JobCluster(job_cluster_key=cluster_key, new_cluster=cluster_spec(s, access))],
        tasks=[
            jobs.Task(
                task_key="events_stream",
                job_cluster_key=cluster_key,
                spark_python_task=jobs.SparkPythonTask(
                    python_file=f"{job_root.rstrip('/')}/{EVENTS_STREAM_MODULE.rsplit('/', 1)[-1]}",
                    parameters=[
                        "--lake-root",
                        lake,
                        "--source",
                        "cloudfiles",
                        "--sink",
                        "delta",
                        "--max-files-per-trigger",
                        str(max_files_per_trigger),
                    ],
                ),
                libraries=[compute.Library(whl=wheel)] if wheel else [],
                max_retries=2,
                min_retry_interval_millis=60_000,
            )
        ],
        trigger=jobs.TriggerSettings(
            file_arrival=jobs.FileArrivalTriggerConfiguration(
                url=f"{lake}/raw/events/{stream}/", min_time_between_triggers_seconds=60
            ),
            pause_status=jobs.PauseStatus.UNPAUSED,
        ),
    )
