"""The ML area's names in one place: asset keys, the dataset and model names, the tables
scoring writes, the owner and group the assets carry."""

from __future__ import annotations

from dagster import AssetKey

GROUP = "ml"
OWNER = "team:data-science"
DATASET = "churn"  # <lake>/ml/churn/<build_id>/
MODEL_NAME = "churn"  # the MLflow registered model
CHAMPION = "champion"  # the MLflow alias of the model that scores and serves

# the curated Delta table of predictions (a derived table, not a source: no table contract)
PREDICTIONS_TABLE = "churn_predictions"
# the warehouse schema of the ML tables: ml.churn_predictions, ml.churn_model_monitoring
WAREHOUSE_SCHEMA = "ml"
MONITORING_TABLE = "churn_model_monitoring"

DATASET_KEY = AssetKey([GROUP, "churn_dataset"])
MODEL_KEY = AssetKey([GROUP, "churn_model"])
CHAMPION_KEY = AssetKey([GROUP, "churn_champion"])
PREDICTIONS_KEY = AssetKey(["curated", PREDICTIONS_TABLE])
WAREHOUSE_PREDICTIONS_KEY = AssetKey(["warehouse", WAREHOUSE_SCHEMA, PREDICTIONS_TABLE])
MONITORING_KEY = AssetKey(["warehouse", WAREHOUSE_SCHEMA, MONITORING_TABLE])
