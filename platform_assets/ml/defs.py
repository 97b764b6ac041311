"""What ML adds to the code location: the dataset, model, champion, predictions and
monitoring assets (the profile gives the `ml_trainer` resource), and `churn_ml`, the job that
runs them and the dashboards they feed."""

from dagster import AssetSelection, Definitions, define_asset_job

from platform_assets.ml.assets import ML_ASSETS
from platform_assets.ml.names import GROUP

churn_ml = define_asset_job(
    "churn_ml",
    selection=AssetSelection.groups(GROUP).downstream(),
    description="Dataset -> training -> promotion -> batch scoring -> monitoring, and the "
    "dashboards that show it.",
)

defs = Definitions(assets=ML_ASSETS, jobs=[churn_ml])
