"""What the metadata store adds to the code location: the published contracts, their checks
and the sensors on the store's change stream."""

from dagster import Definitions

from platform_assets.metadata.assets import published_contracts
from platform_assets.metadata.checks import contract_checks
from platform_assets.metadata.sensors import contract_change_sensor, metadata_materializations_sensor

defs = Definitions(
    assets=[published_contracts],
    asset_checks=contract_checks,
    sensors=[contract_change_sensor, metadata_materializations_sensor],
)
