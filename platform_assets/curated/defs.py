"""What the curated zone adds to the code location: one conformed Delta asset per contract."""

from dagster import Definitions

from platform_assets.curated.assets import curated_assets

defs = Definitions(assets=curated_assets)
