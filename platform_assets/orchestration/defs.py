"""What CDC orchestration adds to the code location in every profile: the raw-file sensor (DMS
files or the local capture's) and the automation sensor that evaluates eager conditions.

The local capture's sensor comes with the raw writer the profile picks (profile.py)."""

from dagster import AssetSelection, AutomationConditionSensorDefinition, DefaultSensorStatus, Definitions

from platform_assets.orchestration.raw_files_sensor import raw_cdc_files_sensor

# Curated tables and dbt models carry AutomationCondition.eager(); this sensor evaluates them
# every few seconds (the default sensor's 30 s would dominate CDC freshness).
automation = AutomationConditionSensorDefinition(
    "lakehouse_automation",
    target=AssetSelection.all(),
    minimum_interval_seconds=5,
    default_status=DefaultSensorStatus.RUNNING,
)

defs = Definitions(sensors=[raw_cdc_files_sensor, automation])
