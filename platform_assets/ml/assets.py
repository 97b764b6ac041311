"""The ML assets (group `ml`): dataset -> model (promotion check) -> champion ->
predictions -> their warehouse copy and the monitoring row.

Lineage: the dataset depends on the curated tables and the processed clickstream it reads, the
predictions on the champion and the same tables; the warehouse tables sit under `warehouse/ml/`.
"""

import json

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)

from platform_assets.errors import PlatformError
from platform_assets.ml.dataset import DatasetBuild, card_pins, write_build
from platform_assets.ml.evaluation import THRESHOLD, Comparison
from platform_assets.ml.features import FEATURES, SOURCE_COLUMNS, SplitSpec
from platform_assets.ml.names import (
    CHAMPION_KEY,
    DATASET,
    DATASET_KEY,
    GROUP,
    MODEL_KEY,
    MODEL_NAME,
    MONITORING_KEY,
    OWNER,
    PREDICTIONS_KEY,
    PREDICTIONS_TABLE,
    WAREHOUSE_PREDICTIONS_KEY,
)
from platform_assets.ml.sources import Pins, current_pins
from platform_assets.ml.trainer import MlTrainer
from platform_assets.ml.training import TrainConfig
from platform_assets.resources import LakeResource
from platform_assets.storage.sql_text import sql_ident, sql_string
from platform_assets.warehouse.keys import CURATED_SCHEMA, EVENTS_SCHEMA, POOL, copy_key
from platform_assets.warehouse.load_sql import LOADS
from platform_assets.warehouse.loader import CuratedLoader

SOURCE_KEYS = [AssetKey(label.split(".")) for label in SOURCE_COLUMNS]
CHECK_NAME = "not_worse_than_champion"


class DatasetConfig(Config):
    label_days: int = 60
    train_cutoffs: int = 4
    train_step_days: int = 30
    max_customers: int = 200_000


class ModelConfig(Config):
    C: float = 1.0
    features: list[str] = list(FEATURES)


def warehouse_loads(loader: CuratedLoader, pins: Pins) -> dict:
    """The warehouse load that copied each pinned version (`<schema>._loads`), or None where the
    warehouse holds no load of that version (it lags the lake, or was loaded from another)."""
    schemas = {"curated": CURATED_SCHEMA, "processed": EVENTS_SCHEMA}
    found: dict[str, int | None] = {}
    with loader.session() as (session, _):
        for label, version in sorted(pins.items()):
            zone, name = label.split(".")
            rows = session.rows(
                f"select max(load_id) from {sql_ident(schemas[zone], LOADS)} "  # noqa: S608 -- quoted by sql_ident()/sql_string()
                f"where table_name = {sql_string(name)} and delta_version = {int(version)}"
            )
            found[label] = None if rows[0][0] is None else int(rows[0][0])
    return found


# the warehouse copies of the same tables: the data card names the load that copied each pin
WAREHOUSE_COPY_KEYS = [
    copy_key(CURATED_SCHEMA if k.path[0] == "curated" else EVENTS_SCHEMA, k.path[1]) for k in SOURCE_KEYS
]


@asset(
    key=DATASET_KEY,
    deps=[*SOURCE_KEYS, *WAREHOUSE_COPY_KEYS],
    group_name=GROUP,
    owners=[OWNER],
    kinds={"python", "s3"},
    pool=POOL,  # reads the warehouse's load log
    description="Churn training data: customers' order and clickstream features at cutoffs, "
    "split train / validation / test by time, pinned to the Delta versions it read; SageMaker "
    "channels (headerless CSV, label first) and a data card under <lake>/ml/churn/<build_id>/.",
)
def churn_dataset(
    context: AssetExecutionContext, config: DatasetConfig, lake: LakeResource, warehouse_loader: CuratedLoader
) -> MaterializeResult:
    the_lake = lake.lake()
    spec = SplitSpec(config.label_days, config.train_cutoffs, config.train_step_days, config.max_customers)
    pins = current_pins(the_lake)
    try:
        loads = warehouse_loads(warehouse_loader, pins)
    except Exception as exc:  # a warehouse without the copies: say so in the card and the log
        context.log.warning(f"warehouse load ids unavailable: {exc}")
        loads = {"unavailable": str(exc).splitlines()[0]}
    build, card, written = write_build(the_lake, DATASET, pins, spec, loads)
    if not written:
        context.log.info(f"build {build.build_id} exists (same pins and spec): nothing written")
    splits = card["splits"]
    return MaterializeResult(
        metadata={
            "build_id": build.build_id,
            "data_card": MetadataValue.path(build.card_uri),
            "pins": MetadataValue.json(pins),
            "warehouse_loads": MetadataValue.json(card["warehouse_loads"]),
            "written": written,
            **{f"{s}_rows": v["rows"] for s, v in splits.items()},
            **{f"{s}_label_rate": v["label_rate"] for s, v in splits.items()},
            "dagster/row_count": sum(v["rows"] for v in splits.values()),
        }
    )


def _latest(context: AssetExecutionContext, key: AssetKey) -> dict:
    event = context.instance.get_latest_materialization_event(key)
    if event is None or event.asset_materialization is None:
        raise PlatformError(f"{key.to_user_string()} has no materialization; materialize it first")
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def _build_of(lake: LakeResource, build_id: str) -> DatasetBuild:
    return DatasetBuild(lake.lake(), DATASET, build_id)


def compare_with_champion(trainer: MlTrainer, version: int, build: DatasetBuild) -> Comparison:
    """The promotion rule: the candidate against the champion, both on the candidate's pinned
    validation split."""
    from platform_assets.ml.registry import champion

    candidate = trainer.validation_auc(MODEL_NAME, version, build)
    if candidate is None:
        raise PlatformError(f"{MODEL_NAME} v{version} has no validation AUC to compare")
    current = champion(trainer.tracking(), MODEL_NAME)
    if current is None or int(current.version) == version:
        return Comparison(candidate, None, None)
    return Comparison(
        candidate, trainer.validation_auc(MODEL_NAME, int(current.version), build), int(current.version)
    )


@asset(
    key=MODEL_KEY,
    deps=[DATASET_KEY],
    group_name=GROUP,
    owners=[OWNER],
    kinds={"mlflow", "scikitlearn", "sagemaker"},
    description="The churn model trained on the latest dataset build (scikit-learn locally, a "
    "SageMaker training job in prod), tracked and registered in MLflow with the dataset's pins.",
    check_specs=[
        AssetCheckSpec(
            CHECK_NAME,
            asset=MODEL_KEY,
            description="Fails (a warning) when the candidate's validation AUC is worse than the "
            "champion's on the same pinned validation set; `ml/churn_champion` then keeps the "
            "champion. A warning, not a run failure: a retrained model that is not better is an "
            "outcome, and the pipeline's other assets still run.",
        )
    ],
)
def churn_model(
    context: AssetExecutionContext, config: ModelConfig, lake: LakeResource, ml_trainer: MlTrainer
):
    build = _build_of(lake, _latest(context, DATASET_KEY)["build_id"])
    trained = ml_trainer.train(
        lake.lake(), build, MODEL_NAME, TrainConfig(config.C, tuple(config.features)), log=context.log.info
    )
    yield MaterializeResult(
        metadata={
            "mlflow_run_id": trained.run_id,
            "model_name": trained.model,
            "model_version": trained.version,
            "reused": trained.reused,
            "build_id": build.build_id,
            "data_card": MetadataValue.path(build.card_uri),
            "pins": MetadataValue.json(json.loads(trained.tags["pins"])),
            "tracking_uri": ml_trainer.tracking().tracking_uri,
            **{k: float(v) for k, v in trained.metrics.items()},
        }
    )
    verdict = compare_with_champion(ml_trainer, trained.version, build)
    yield AssetCheckResult(
        check_name=CHECK_NAME,
        passed=verdict.passed,
        severity=AssetCheckSeverity.WARN,
        description=verdict.description,
        metadata={
            "candidate_version": trained.version,
            "candidate_auc": verdict.candidate_auc,
            "champion_version": MetadataValue.int(verdict.champion_version)
            if verdict.champion_version
            else MetadataValue.null(),
            "champion_auc": verdict.champion_auc
            if verdict.champion_auc is not None
            else MetadataValue.null(),
        },
    )


@asset(
    key=CHAMPION_KEY,
    deps=[MODEL_KEY],
    group_name=GROUP,
    owners=[OWNER],
    kinds={"mlflow", "sagemaker"},
    description="Moves the `champion` alias to the latest model when it is not worse than the "
    "champion (the promotion check's rule; otherwise the champion stays and the metadata says "
    "why), and deploys it (a SageMaker endpoint in prod; locally `lakehouse serve model`).",
)
def churn_champion(
    context: AssetExecutionContext, lake: LakeResource, ml_trainer: MlTrainer
) -> MaterializeResult:
    from platform_assets.ml.registry import promote

    model = _latest(context, MODEL_KEY)
    version = int(model["model_version"])
    # the same rule as the check, again: this asset run alone must not promote a worse model
    verdict = compare_with_champion(ml_trainer, version, _build_of(lake, model["build_id"]))
    if not verdict.passed:
        context.log.warning(f"not promoting {MODEL_NAME} v{version}: {verdict.description}")
        return MaterializeResult(
            metadata={
                "model_version": verdict.champion_version,
                "promoted": False,
                "candidate_version": version,
                "promotion": verdict.description,
            }
        )
    promote(ml_trainer.tracking(), MODEL_NAME, version)
    deployed = ml_trainer.deploy(MODEL_NAME, version)
    return MaterializeResult(
        metadata={
            "model_version": version,
            "promoted": True,
            "mlflow_run_id": model["mlflow_run_id"],
            "promotion": verdict.description,
            "endpoint": MetadataValue.json(deployed),
        }
    )


@asset(
    key=PREDICTIONS_KEY,
    deps=[CHAMPION_KEY, *SOURCE_KEYS],
    group_name=GROUP,
    owners=[OWNER],
    kinds={"delta", "scikitlearn"},
    pool=f"delta_curated_{PREDICTIONS_TABLE}",
    description="Churn probability of every customer with an order, by the champion, from the "
    "latest Delta versions; one scoring run per (model version, source versions), merged once.",
)
def churn_predictions(lake: LakeResource, ml_trainer: MlTrainer) -> MaterializeResult:
    from platform_assets.ml.registry import load_model, require_champion
    from platform_assets.ml.scoring import predict, scoring_id, write_predictions

    the_lake = lake.lake()
    current = require_champion(ml_trainer.tracking(), MODEL_NAME)
    version = int(current.version)
    pins = current_pins(the_lake)
    estimator = load_model(ml_trainer.tracking(), MODEL_NAME, version)
    written = write_predictions(the_lake, predict(estimator, MODEL_NAME, version, the_lake, pins))
    return MaterializeResult(
        metadata={
            "scoring_id": scoring_id(MODEL_NAME, version, pins),
            "model_version": version,
            "mlflow_run_id": current.run_id,
            "pins": MetadataValue.json(pins),
            "rows_scored": written.rows,
            "rows_inserted": written.inserted,
            "delta_version": written.delta_version,
            "path": the_lake.delta_uri("curated", PREDICTIONS_TABLE),
        }
    )


@asset(
    key=WAREHOUSE_PREDICTIONS_KEY,
    deps=[PREDICTIONS_KEY],
    group_name=GROUP,
    owners=[OWNER],
    kinds={"sql"},
    pool=POOL,
    description="ml.churn_predictions in the warehouse: the predictions table's live files, "
    "copied once each by the warehouse loader.",
)
def warehouse_churn_predictions(lake: LakeResource, warehouse_loader: CuratedLoader) -> MaterializeResult:
    from platform_assets.ml.warehouse_tables import PREDICTIONS_COPY

    (r,) = warehouse_loader.load(lake.lake(), [PREDICTIONS_COPY])
    return MaterializeResult(
        metadata={
            "delta_version": r.delta_version,
            "load_id": MetadataValue.int(r.load_id) if r.load_id else MetadataValue.null(),
            "files_added": r.files_added,
            "rows_added": r.rows_added,
            "dagster/row_count": MetadataValue.int(r.rows),
        }
    )


@asset(
    key=MONITORING_KEY,
    deps=[PREDICTIONS_KEY],
    group_name=GROUP,
    owners=[OWNER],
    kinds={"sql"},
    pool=POOL,
    description="ml.churn_model_monitoring: per scoring run, the rows, mean score, predicted "
    "churn rate, the last observed churn rate and the score PSI against the model's "
    "validation scores (dashboards read it).",
)
def churn_model_monitoring(
    context: AssetExecutionContext, lake: LakeResource, ml_trainer: MlTrainer, warehouse_loader: CuratedLoader
) -> MaterializeResult:
    from platform_assets.ml.monitoring import monitoring_row
    from platform_assets.ml.registry import load_model
    from platform_assets.ml.scoring import read_run
    from platform_assets.ml.training import score
    from platform_assets.ml.warehouse_tables import append_monitoring

    the_lake = lake.lake()
    scored = _latest(context, PREDICTIONS_KEY)
    version = int(scored["model_version"])
    run = read_run(the_lake, scored["scoring_id"], columns=["scored_at", "score"])
    if run.num_rows == 0:
        raise PlatformError(f"scoring run {scored['scoring_id']} has no rows in curated.{PREDICTIONS_TABLE}")
    tags = ml_trainer.tracking().client().get_model_version(MODEL_NAME, str(version)).tags
    build = _build_of(lake, tags["build_id"])
    reference = score(load_model(ml_trainer.tracking(), MODEL_NAME, version), build.rows("validation"))
    label_rate = build.card()["splits"]["test"]["label_rate"]
    row = monitoring_row(
        run["scored_at"][0].as_py(), version, run["score"].to_numpy(), reference, label_rate, THRESHOLD
    )
    added = append_monitoring(warehouse_loader, row)
    return MaterializeResult(
        metadata={
            "scoring_id": scored["scoring_id"],
            "model_version": version,
            "appended": added,
            "build_id": build.build_id,
            "dataset_pins": MetadataValue.json(card_pins(build.card())),
            "psi": row.psi,
            "mean_score": row.mean_score,
            "predicted_positive_rate": row.predicted_positive_rate,
            "label_rate": row.label_rate,
        }
    )


ML_ASSETS = [
    churn_dataset,
    churn_model,
    churn_champion,
    churn_predictions,
    warehouse_churn_predictions,
    churn_model_monitoring,
]
