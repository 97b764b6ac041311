"""What the curated zone adds to the code location: one conformed Delta asset per contract, and
its boundary check (rows and schema against processed)."""

from dagster import Definitions

from platform_assets.curated.assets import curated_assets
from platform_assets.curated.checks import curated_checks

defs = Definitions(assets=curated_assets, asset_checks=curated_checks)
