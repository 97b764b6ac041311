"""MLflow, set up once: the tracking store, the registered model, the champion alias.

Locally the store is SQLite under `.platform/mlflow.db` and artifacts go to `.platform/mlruns`
(no server). MLflow is imported inside the functions: the code location loads without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from platform_assets.errors import PlatformError
from platform_assets.ml.names import CHAMPION

EXPERIMENT = "churn"


@dataclass(frozen=True)
class Tracking:
    tracking_uri: str  # sqlite:///<home>/.platform/mlflow.db, or a tracking server
    artifact_root: str  # where runs' artifacts go (a folder or s3://...)

    @classmethod
    def under(cls, home: Path | str) -> Tracking:
        state = Path(home) / ".platform"
        return cls(f"sqlite:///{state / 'mlflow.db'}", str(state / "mlruns"))

    def client(self):
        """An MlflowClient on this store (the global tracking URI is set too, for log_model)."""
        import mlflow
        from mlflow import MlflowClient

        if self.tracking_uri.startswith("sqlite:///"):
            Path(self.tracking_uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.tracking_uri)
        return MlflowClient(self.tracking_uri, self.tracking_uri)

    def experiment_id(self) -> str:
        client = self.client()
        found = client.get_experiment_by_name(EXPERIMENT)
        if found is not None:
            return found.experiment_id
        location = self.artifact_root if "://" in self.artifact_root else Path(self.artifact_root).as_uri()
        return client.create_experiment(EXPERIMENT, artifact_location=location)


def champion(tracking: Tracking, model: str):
    """The champion's ModelVersion, or None before the first promotion."""
    from mlflow.exceptions import MlflowException

    try:
        return tracking.client().get_model_version_by_alias(model, CHAMPION)
    except MlflowException:
        return None


def require_champion(tracking: Tracking, model: str):
    found = champion(tracking, model)
    if found is None:
        raise PlatformError(
            f"model {model!r} has no {CHAMPION!r} version in {tracking.tracking_uri}; materialize "
            "ml/churn_model and ml/churn_champion first"
        )
    return found


def load_model(tracking: Tracking, model: str, version: int | str):
    """A registered version as a scikit-learn estimator."""
    import mlflow.sklearn

    tracking.client()
    return mlflow.sklearn.load_model(f"models:/{model}/{version}")


def promote(tracking: Tracking, model: str, version: int) -> None:
    tracking.client().set_registered_model_alias(model, CHAMPION, str(version))
