from dagster import Definitions

from platform_assets.observability.alerts import run_failure_alert
from platform_assets.observability.processed_metrics import processed_metrics_sensor

defs = Definitions(sensors=[run_failure_alert, processed_metrics_sensor])
