"""SageMaker in `prod`: a training job on a dataset build's channels, and the endpoint.

The training request names the build's channel prefixes (`train`, `validation`: headerless
CSV, label first, `text/csv`), the output path beside the dataset, the role, the image and the
instance; the waiter polls `DescribeTrainingJob` through the states SageMaker reports
(InProgress, then Completed, Failed or Stopped) and fails with the job's FailureReason. The
waiter takes the describe function, so the states it follows are testable: moto's server
completes every job at once and cannot fail or stop one.

Deploying creates the SageMaker model (the job's artifacts in the image), an endpoint
configuration and the endpoint, each named after the model version, and waits until the
endpoint is InService.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from platform_assets.errors import PlatformError
from platform_assets.ml.dataset import CSV_CONTENT_TYPE, DatasetBuild

TERMINAL = ("Completed", "Failed", "Stopped")
# XGBoost's built-in objective for a 0/1 label; `validation:auc` is what its logs report
HYPERPARAMETERS = {"objective": "binary:logistic", "eval_metric": "auc", "num_round": "100"}


@dataclass(frozen=True)
class SageMakerSettings:
    role_arn: str
    image_uri: str
    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    volume_gb: int = 10
    max_runtime_s: int = 3600
    poll_s: float = 15.0
    timeout_s: float = 4 * 3600


def job_name(build: DatasetBuild, key: str) -> str:
    """At most 63 characters, unique per build and config (a rerun finds its job)."""
    return f"{build.dataset}-{build.build_id}-{key}"[:63]


def output_path(build: DatasetBuild) -> str:
    return f"{build.lake.uri('ml', build.dataset, 'models')}/"


def training_request(build: DatasetBuild, name: str, settings: SageMakerSettings, tags: dict) -> dict:
    """The CreateTrainingJob request for a build's channels."""

    def channel(split: str) -> dict:
        return {
            "ChannelName": split,
            "ContentType": CSV_CONTENT_TYPE,
            "InputMode": "File",
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": f"{build.channel_uri(split)}/",
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
        }

    if not build.lake.is_s3:
        raise PlatformError(f"SageMaker reads training channels from S3; the lake is {build.lake.root}")
    return {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": settings.image_uri, "TrainingInputMode": "File"},
        "RoleArn": settings.role_arn,
        "InputDataConfig": [channel("train"), channel("validation")],
        "OutputDataConfig": {"S3OutputPath": output_path(build)},
        "ResourceConfig": {
            "InstanceType": settings.instance_type,
            "InstanceCount": settings.instance_count,
            "VolumeSizeInGB": settings.volume_gb,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": settings.max_runtime_s},
        "HyperParameters": dict(HYPERPARAMETERS),
        "Tags": [{"Key": k, "Value": str(v)[:256]} for k, v in sorted(tags.items())],
    }


def wait_for_job(
    describe: Callable[[str], dict],
    name: str,
    poll_s: float = 15.0,
    timeout_s: float = 4 * 3600,
    on_state: Callable[[str, str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> dict:
    """Poll until the job ends; its last description if Completed, else a PlatformError with
    the job's status and FailureReason. `on_state(status, secondary)` hears each change."""
    deadline = time.monotonic() + timeout_s
    seen = None
    while True:
        job = describe(name)
        state = (job["TrainingJobStatus"], job.get("SecondaryStatus", ""))
        if state != seen and on_state:
            on_state(*state)
        seen = state
        if state[0] == "Completed":
            return job
        if state[0] in TERMINAL:
            reason = job.get("FailureReason") or "no reason given"
            raise PlatformError(f"SageMaker training job {name} ended {state[0]}: {reason}")
        if time.monotonic() > deadline:
            raise PlatformError(f"SageMaker training job {name} is still {state[0]} after {timeout_s:.0f} s")
        sleep(poll_s)


def start_or_find_job(client, request: dict) -> str:
    """Start the job, or find it: job names are unique, so a rerun waits for the same job."""
    from botocore.exceptions import ClientError

    name = request["TrainingJobName"]
    try:
        client.describe_training_job(TrainingJobName=name)
        return name
    except ClientError as exc:  # SageMaker answers ValidationException for an unknown job
        if exc.response.get("Error", {}).get("Code") not in ("ValidationException", "ResourceNotFound"):
            raise
    try:
        client.create_training_job(**request)
    except Exception as exc:
        raise PlatformError(f"SageMaker CreateTrainingJob {name} failed: {exc}") from exc
    return name


def endpoint_names(model: str, version: int) -> dict[str, str]:
    base = f"{model}-v{version}"
    return {"model": base, "config": f"{base}-config", "endpoint": f"{model}-endpoint"}


def deploy_endpoint(client, model: str, version: int, artifacts: str, settings: SageMakerSettings) -> dict:
    """Create (or find) the SageMaker model, endpoint configuration and endpoint for a version;
    an endpoint already serving another configuration is updated to this one."""
    names = endpoint_names(model, version)
    existing_models = {m["ModelName"] for m in client.list_models(NameContains=names["model"])["Models"]}
    if names["model"] not in existing_models:
        client.create_model(
            ModelName=names["model"],
            PrimaryContainer={"Image": settings.image_uri, "ModelDataUrl": artifacts},
            ExecutionRoleArn=settings.role_arn,
        )
    configs = client.list_endpoint_configs(NameContains=names["config"])["EndpointConfigs"]
    if names["config"] not in {c["EndpointConfigName"] for c in configs}:
        client.create_endpoint_config(
            EndpointConfigName=names["config"],
            ProductionVariants=[
                {
                    "VariantName": "champion",
                    "ModelName": names["model"],
                    "InstanceType": settings.instance_type,
                    "InitialInstanceCount": 1,
                }
            ],
        )
    endpoints = client.list_endpoints(NameContains=names["endpoint"])["Endpoints"]
    current = next((e for e in endpoints if e["EndpointName"] == names["endpoint"]), None)
    if current is None:
        client.create_endpoint(EndpointName=names["endpoint"], EndpointConfigName=names["config"])
    elif client.describe_endpoint(EndpointName=names["endpoint"])["EndpointConfigName"] != names["config"]:
        client.update_endpoint(EndpointName=names["endpoint"], EndpointConfigName=names["config"])
    deadline = time.monotonic() + settings.timeout_s
    while (status := client.describe_endpoint(EndpointName=names["endpoint"]))[
        "EndpointStatus"
    ] != "InService":
        if status["EndpointStatus"] == "Failed" or time.monotonic() > deadline:
            raise PlatformError(
                f"SageMaker endpoint {names['endpoint']} is {status['EndpointStatus']}: "
                f"{status.get('FailureReason', 'no reason given')}"
            )
        time.sleep(settings.poll_s)
    return {**names, "status": "InService"}
