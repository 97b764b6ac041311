"""What the warehouse adds to the code location, in data order: the curated loader, the dbt assets
(base, facts, marts), the docs site."""

from dagster import Definitions

from platform_assets.warehouse.assets import dbt_assets_definitions
from platform_assets.warehouse.curated_copies import warehouse_curated_copies
from platform_assets.warehouse.docs import build_docs_asset

dbt_docs_site = build_docs_asset(deps=[key for a in dbt_assets_definitions for key in a.keys])

defs = Definitions(assets=[warehouse_curated_copies, *dbt_assets_definitions, dbt_docs_site])
