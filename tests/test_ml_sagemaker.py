"""`prod` ML on moto's server: the dataset's channels on S3, the SageMaker training request and
the states its waiter follows, a failed job failing the model asset, the endpoint deployed.

moto completes every training job at once (no InProgress, no Failed; it has no
StopTrainingJob), so the waiter's path through InProgress to Failed is driven by a describe
function that returns moto's real description with the status SageMaker would report.
"""

from __future__ import annotations

import boto3
import pytest
from dagster import AssetMaterialization, DagsterInstance, materialize
from deltalake import write_deltalake
from ml_data import churn_sources

from platform_assets.contracts.events import EVENTS
from platform_assets.errors import PlatformError
from platform_assets.ml import names
from platform_assets.ml.assets import churn_model
from platform_assets.ml.dataset import write_build
from platform_assets.ml.features import SplitSpec
from platform_assets.ml.pins import read_pins
from platform_assets.ml.sagemaker import wait_for_job
from platform_assets.ml.sources import current_pins
from platform_assets.ml.trainer import MlTrainer
from platform_assets.ml.training import TrainConfig
from platform_assets.resources import LakeResource

ROLE = "arn:aws:iam::123456789012:role/sagemaker-churn"
pytestmark = pytest.mark.slow  # MLflow's store is created on first use (~10 s)
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


@pytest.fixture
def s3_sources(s3_lake):
    for label, table in churn_sources().items():
        zone, name = label.split(".")
        partition = [EVENTS.partition_column] if label == "processed.events" else None
        write_deltalake(
            s3_lake.delta_uri(zone, name),
            table,
            partition_by=partition,
            storage_options=s3_lake.storage_options,
        )
    return s3_lake


def _trainer(moto_endpoint, tmp_path, cls=MlTrainer) -> MlTrainer:
    return cls(
        kind="sagemaker",
        home=str(tmp_path),
        role_arn=ROLE,
        image_uri=IMAGE,
        instance_type="ml.m5.xlarge",
        region_name="us-east-1",
        endpoint_url=moto_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_training_job_reads_the_channels_and_is_registered_and_deployed(s3_sources, moto_endpoint, tmp_path):
    lake = s3_sources
    build, card, written = write_build(lake, names.DATASET, current_pins(lake), SplitSpec())
    assert written
    bucket, prefix = lake.root[len("s3://") :].split("/", 1)
    s3 = boto3.client("s3", endpoint_url=moto_endpoint)
    for split in ("train", "validation", "test"):
        keys = [
            o["Key"]
            for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/ml/churn/{build.build_id}/{split}/")[
                "Contents"
            ]
        ]
        assert keys == [f"{prefix}/ml/churn/{build.build_id}/{split}/part-0.csv"]  # nothing else in a channel
    trainer = _trainer(moto_endpoint, tmp_path)
    seen: list[str] = []
    trained = trainer.train(lake, build, names.MODEL_NAME, TrainConfig(), log=seen.append)
    sm = trainer.sagemaker()
    (job,) = sm.list_training_jobs()["TrainingJobSummaries"]
    sent = sm.describe_training_job(TrainingJobName=job["TrainingJobName"])
    channels = {c["ChannelName"]: c for c in sent["InputDataConfig"]}
    assert set(channels) == {"train", "validation"}
    for name, channel in channels.items():
        assert channel["DataSource"]["S3DataSource"]["S3Uri"] == f"{build.channel_uri(name)}/"
        assert channel["ContentType"] == "text/csv"
    assert sent["OutputDataConfig"]["S3OutputPath"] == f"{lake.uri('ml', 'churn', 'models')}/"
    assert sent["RoleArn"] == ROLE and sent["AlgorithmSpecification"]["TrainingImage"] == IMAGE
    assert sent["ResourceConfig"]["InstanceType"] == "ml.m5.xlarge"
    assert seen == [f"SageMaker job {job['TrainingJobName']}: Completed (Completed)"]
    # registered in MLflow with the job's artifacts and the dataset's pins, pinned in the lake
    version = trainer.tracking().client().get_model_version(names.MODEL_NAME, str(trained.version))
    assert version.source == sent["ModelArtifacts"]["S3ModelArtifacts"]
    assert [r["pins"] for r in read_pins(lake)] == [current_pins(lake)]
    # training the same build again starts no second job
    again = trainer.train(lake, build, names.MODEL_NAME, TrainConfig(), log=seen.append)
    assert again.reused and again.version == trained.version
    assert len(sm.list_training_jobs()["TrainingJobSummaries"]) == 1
    # the endpoint: model, configuration and endpoint, created once
    for _ in range(2):
        deployed = trainer.deploy(names.MODEL_NAME, trained.version)
    assert deployed["status"] == "InService"
    endpoint = sm.describe_endpoint(EndpointName=deployed["endpoint"])
    assert endpoint["EndpointConfigName"] == deployed["config"]
    config = sm.describe_endpoint_config(EndpointConfigName=deployed["config"])
    assert config["ProductionVariants"][0]["ModelName"] == deployed["model"]
    model = sm.describe_model(ModelName=deployed["model"])
    assert model["PrimaryContainer"]["ModelDataUrl"] == version.source
    assert len(sm.list_endpoints()["Endpoints"]) == 1 and len(sm.list_models()["Models"]) == 1


def _as_sagemaker_reports(describe, states):
    """moto's description of the job, with the status SageMaker reports at each poll."""
    states = iter(states)

    def polled(name: str) -> dict:
        status, secondary, reason = next(states)
        job = {**describe(name), "TrainingJobStatus": status, "SecondaryStatus": secondary}
        return {**job, "FailureReason": reason} if reason else job

    return polled


FAILING = [
    ("InProgress", "Starting", None),
    ("InProgress", "Training", None),
    ("Failed", "Failed", "AlgorithmError: label column has values outside 0/1"),
]


def test_the_waiter_follows_the_states_and_a_failed_job_fails(s3_sources, moto_endpoint, tmp_path):
    build, _, _ = write_build(s3_sources, names.DATASET, current_pins(s3_sources), SplitSpec())
    trainer = _trainer(moto_endpoint, tmp_path)
    from platform_assets.ml import sagemaker as sm

    name = sm.job_name(build, "k")
    sm.start_or_find_job(trainer.sagemaker(), sm.training_request(build, name, trainer.settings(), {}))
    heard, slept = [], []
    with pytest.raises(PlatformError, match="ended Failed: AlgorithmError: label column"):
        wait_for_job(
            _as_sagemaker_reports(trainer.describe_job, FAILING),
            name,
            poll_s=7,
            on_state=lambda *s: heard.append(s),
            sleep=slept.append,
        )
    assert heard == [("InProgress", "Starting"), ("InProgress", "Training"), ("Failed", "Failed")]
    assert slept == [7, 7]
    completed = wait_for_job(trainer.describe_job, name, sleep=slept.append)  # moto: Completed
    assert completed["ModelArtifacts"]["S3ModelArtifacts"].endswith(f"{name}/output/model.tar.gz")


class FailingJobs(MlTrainer):
    """SageMaker as moto runs it, except that the job fails the way SageMaker reports it."""

    def describe_job(self, name: str) -> dict:
        return {**super().describe_job(name), "TrainingJobStatus": "Failed", "FailureReason": "OutOfMemory"}


def test_a_failed_training_job_fails_the_model_asset(s3_sources, moto_endpoint, tmp_path):
    build, _, _ = write_build(s3_sources, names.DATASET, current_pins(s3_sources), SplitSpec())
    instance = DagsterInstance.ephemeral()
    instance.report_runless_asset_event(
        AssetMaterialization(names.DATASET_KEY, metadata={"build_id": build.build_id})
    )
    resources = {
        "lake": LakeResource(
            root=s3_sources.root,
            endpoint_url=moto_endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ),
        "ml_trainer": _trainer(moto_endpoint, tmp_path, FailingJobs),
    }
    run = materialize(
        [churn_model],
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    assert not run.success
    failure = next(e for e in run.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_key == "ml__churn_model"
    error = failure.event_specific_data.error
    assert "ended Failed: OutOfMemory" in (error.cause or error).message
    assert instance.get_latest_materialization_event(names.MODEL_KEY) is None
    assert not read_pins(s3_sources)  # nothing registered, nothing pinned
