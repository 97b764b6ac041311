"""`ml_trainer`: where models are trained, evaluated and deployed, per profile (profile.py).

- kind `local`: scikit-learn in the asset's process, MLflow tracking in SQLite under the
  home's `.platform/` (or `tracking_uri`), the endpoint is `lakehouse serve model`.
- kind `sagemaker`: a SageMaker training job on the dataset's S3 channels (the AWS settings of
  every other client, `aws.py`), its artifacts registered as the MLflow model version; the
  endpoint is a SageMaker endpoint.

Either way a registered version carries its dataset's pins (version tags) and writes them to
the pin store (`pins.py`), which VACUUM respects.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from pydantic import Field

from platform_assets.aws import AwsResource
from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.ml import sagemaker as sm
from platform_assets.ml.dataset import DatasetBuild
from platform_assets.ml.pins import write_pin
from platform_assets.ml.registry import Tracking, load_model
from platform_assets.ml.training import (
    TrainConfig,
    TrainedModel,
    score,
    train_local,
    training_key,
    version_tags,
)


class MlTrainer(AwsResource):
    kind: str = Field(default="local", description="`local` (scikit-learn) or `sagemaker`")
    home: str = Field(default="", description="Local state folder: MLflow's default store lives under it")
    tracking_uri: str | None = Field(default=None, description="MLflow tracking URI; default SQLite")
    artifact_root: str | None = Field(default=None, description="MLflow artifacts; default .platform/mlruns")
    role_arn: str | None = Field(default=None, description="SageMaker execution role (kind sagemaker)")
    image_uri: str | None = Field(default=None, description="SageMaker training and serving image")
    instance_type: str = Field(default="ml.m5.large", description="SageMaker instance type")

    def tracking(self) -> Tracking:
        default = Tracking.under(self.home or ".")
        return Tracking(
            self.tracking_uri or default.tracking_uri, self.artifact_root or default.artifact_root
        )

    def settings(self) -> sm.SageMakerSettings:
        missing = [n for n, v in (("role_arn", self.role_arn), ("image_uri", self.image_uri)) if not v]
        if missing:
            raise PlatformError(
                "SageMaker training needs PLATFORM_SAGEMAKER_ROLE_ARN and PLATFORM_SAGEMAKER_IMAGE_URI; "
                f"missing: {', '.join(missing)}"
            )
        return sm.SageMakerSettings(self.role_arn, self.image_uri, self.instance_type)

    def sagemaker(self):
        return self.client("sagemaker")

    def describe_job(self, name: str) -> dict:
        return self.sagemaker().describe_training_job(TrainingJobName=name)

    # -- training ---------------------------------------------------------------------------
    def train(
        self,
        lake: Lake,
        build: DatasetBuild,
        model: str,
        config: TrainConfig,
        log: Callable[[str], None] = print,
    ) -> TrainedModel:
        if self.kind == "local":
            trained = train_local(self.tracking(), build, model, config)
        elif self.kind == "sagemaker":
            trained = self._train_sagemaker(build, model, config, log)
        else:
            raise PlatformError(f"ml_trainer kind {self.kind!r} is not one of local, sagemaker")
        write_pin(
            lake,
            model,
            trained.version,
            {
                "pins": json.loads(trained.tags["pins"]),
                **{k: trained.tags[k] for k in ("dataset", "build_id", "data_card")},
            },
        )
        return trained

    def _train_sagemaker(self, build: DatasetBuild, model: str, config: TrainConfig, log) -> TrainedModel:
        import mlflow

        from platform_assets.ml.training import registered_version

        tracking = self.tracking()
        key = training_key(build, config)
        client = tracking.client()
        if (found := registered_version(tracking, model, key)) is not None:
            run = client.get_run(found.run_id)
            return TrainedModel(model, int(found.version), found.run_id, run.data.metrics, found.tags, True)
        settings = self.settings()
        tags = version_tags(build, build.card(), key)
        name = sm.job_name(build, key)
        request = sm.training_request(
            build, name, settings, {"dataset": build.dataset, "build_id": build.build_id}
        )
        sm.start_or_find_job(self.sagemaker(), request)
        job = sm.wait_for_job(
            self.describe_job,
            name,
            settings.poll_s,
            settings.timeout_s,
            on_state=lambda status, secondary: log(f"SageMaker job {name}: {status} ({secondary})"),
        )
        measured = {
            m["MetricName"].replace(":", "_"): float(m["Value"]) for m in job.get("FinalMetricDataList", [])
        }
        artifacts = job["ModelArtifacts"]["S3ModelArtifacts"]
        with mlflow.start_run(experiment_id=tracking.experiment_id(), run_name=name) as run:
            mlflow.log_params(
                {**config.as_dict(), "features": ",".join(config.features), "training_job": name}
            )
            mlflow.set_tags({**tags, "sagemaker_job_arn": job["TrainingJobArn"]})
            if measured:
                mlflow.log_metrics(measured)
        if not client.search_registered_models(f"name = '{model}'"):
            client.create_registered_model(model)
        version = client.create_model_version(
            model,
            artifacts,
            run_id=run.info.run_id,
            tags={**tags, "sagemaker_training_job": name, "model_artifacts": artifacts},
        )
        if "validation_auc" in measured:
            client.set_model_version_tag(
                model, version.version, "validation_auc", str(measured["validation_auc"])
            )
        return TrainedModel(model, int(version.version), run.info.run_id, measured, tags)

    # -- evaluation (the promotion check) ----------------------------------------------------
    def validation_auc(self, model: str, version: int, build: DatasetBuild) -> float | None:
        """The version's AUC on `build`'s validation split. Local models are scored on it; a
        SageMaker model reports the `validation:auc` of its job (its own validation channel);
        None when it reported none."""
        from platform_assets.ml.evaluation import metrics
        from platform_assets.ml.features import LABEL

        if self.kind == "local":
            rows = build.rows("validation")
            return metrics(rows[LABEL], score(load_model(self.tracking(), model, version), rows))["auc"]
        tags = self.tracking().client().get_model_version(model, str(version)).tags
        return float(tags["validation_auc"]) if "validation_auc" in tags else None

    # -- serving -----------------------------------------------------------------------------
    def deploy(self, model: str, version: int) -> dict:
        if self.kind == "local":
            return {"endpoint": "lakehouse serve model", "model_version": version, "status": "local"}
        mv = self.tracking().client().get_model_version(model, str(version))
        return sm.deploy_endpoint(self.sagemaker(), model, version, mv.source, self.settings())
