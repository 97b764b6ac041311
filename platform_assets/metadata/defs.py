"""What the metadata store adds to the code location (wired in definitions.py)."""

from platform_assets.metadata.assets import published_contracts
from platform_assets.metadata.checks import contract_checks
from platform_assets.metadata.sensors import contract_change_sensor, metadata_materializations_sensor

metadata_assets = [published_contracts]
metadata_checks = contract_checks
metadata_sensors = [contract_change_sensor, metadata_materializations_sensor]
