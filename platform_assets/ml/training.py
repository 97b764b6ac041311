"""Local training: scikit-learn on a dataset build, tracked and registered in MLflow.

A logistic regression over standardized features (a pipeline, so serving needs no separate
scaler); saved with MLflow's default skops format, whose trusted types cover these estimators.
Training is keyed by (build, config): training the same build with the same config again
returns the version registered the first time instead of a second one.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

import pyarrow as pa

from platform_assets.ml.dataset import DatasetBuild, card_pins
from platform_assets.ml.evaluation import metrics
from platform_assets.ml.features import FEATURES, LABEL
from platform_assets.ml.registry import Tracking

TRAINING_KEY_TAG = "lakehouse.training_key"


@dataclass(frozen=True)
class TrainConfig:
    C: float = 1.0  # inverse regularization strength
    features: tuple[str, ...] = FEATURES  # a subset, for experiments

    def as_dict(self) -> dict:
        return {"C": self.C, "features": list(self.features)}


@dataclass(frozen=True)
class TrainedModel:
    model: str
    version: int
    run_id: str
    metrics: dict[str, float]  # validation_* and test_*
    tags: dict[str, str] = field(default_factory=dict)
    reused: bool = False  # the same build and config were trained before


def training_key(build: DatasetBuild, config: TrainConfig) -> str:
    text = json.dumps({"build": build.build_id, "config": config.as_dict()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def version_tags(build: DatasetBuild, card: dict, key: str) -> dict[str, str]:
    """What a registered version carries: its dataset and the Delta versions it was built from."""
    return {
        TRAINING_KEY_TAG: key,
        "dataset": build.dataset,
        "build_id": build.build_id,
        "data_card": build.card_uri,
        "pins": json.dumps(card_pins(card), sort_keys=True),
        "warehouse_loads": json.dumps(card.get("warehouse_loads", {}), sort_keys=True),
    }


def features_frame(rows: pa.Table, features: tuple[str, ...] = FEATURES):
    """The model's input: a pandas frame of the features, by name."""
    return rows.select(list(features)).to_pandas().astype("float64")


def score(model, rows: pa.Table):
    """Churn probability per row; the model picks its own features by name."""
    names = list(getattr(model, "feature_names_in_", FEATURES))
    return model.predict_proba(features_frame(rows, tuple(names)))[:, 1]


def registered_version(tracking: Tracking, model: str, key: str):
    found = tracking.client().search_model_versions(
        f"name = '{model}' and tags.`{TRAINING_KEY_TAG}` = '{key}'"
    )
    return max(found, key=lambda v: int(v.version)) if found else None


def train_local(
    tracking: Tracking, build: DatasetBuild, model_name: str, config: TrainConfig
) -> TrainedModel:
    import mlflow
    import mlflow.sklearn
    import sklearn
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    client = tracking.client()
    key = training_key(build, config)
    if (found := registered_version(tracking, model_name, key)) is not None:
        run = client.get_run(found.run_id)
        return TrainedModel(model_name, int(found.version), found.run_id, run.data.metrics, found.tags, True)
    # the model's requirements are the ones named below; left on, MLflow copies the project's
    # uv.lock into the model (and runs uv, ~10 s)
    os.environ.setdefault("MLFLOW_UV_AUTO_DETECT", "false")

    card = build.card()
    train, validation, test = (build.rows(s) for s in ("train", "validation", "test"))
    x = features_frame(train, config.features)
    estimator = make_pipeline(StandardScaler(), LogisticRegression(C=config.C, max_iter=1000))
    estimator.fit(x, train[LABEL].to_numpy())
    measured = {
        **{f"validation_{k}": v for k, v in metrics(validation[LABEL], score(estimator, validation)).items()},
        **{f"test_{k}": v for k, v in metrics(test[LABEL], score(estimator, test)).items()},
    }
    tags = version_tags(build, card, key)
    with mlflow.start_run(experiment_id=tracking.experiment_id(), run_name=f"churn-{build.build_id}") as run:
        mlflow.log_params({**config.as_dict(), "features": ",".join(config.features), "model": "logreg"})
        mlflow.set_tags(tags)
        mlflow.log_metrics(measured)
        mlflow.log_dict(card, "data_card.json")
        info = mlflow.sklearn.log_model(
            estimator,
            name="model",
            signature=infer_signature(x, estimator.predict_proba(x)[:, 1]),
            registered_model_name=model_name,
            # named, not inferred: inference imports the model in a subprocess (slow)
            pip_requirements=[f"scikit-learn=={sklearn.__version__}", f"mlflow=={mlflow.__version__}"],
        )
    version = int(info.registered_model_version)
    for k, v in tags.items():
        client.set_model_version_tag(model_name, str(version), k, v)
    client.set_model_version_tag(model_name, str(version), "validation_auc", str(measured["validation_auc"]))
    return TrainedModel(model_name, version, run.info.run_id, measured, tags)
