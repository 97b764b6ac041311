"""What the catalog adds to the code location: the registration asset and the schema sensor."""

from dagster import Definitions

from platform_assets.catalog.assets import catalog_assets, catalog_sensors

defs = Definitions(assets=catalog_assets, sensors=catalog_sensors)
