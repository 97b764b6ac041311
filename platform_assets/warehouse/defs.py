"""Everything the warehouse adds to the code location, for definitions.py to spread in.

Order follows the data: the raw loader, the dbt assets (base, facts, marts), the docs site.
"""

from platform_assets.warehouse.assets import dbt_assets_definitions
from platform_assets.warehouse.docs import build_docs_asset
from platform_assets.warehouse.raw_assets import warehouse_raw_assets

dbt_docs_site = build_docs_asset(
    deps=[key for a in dbt_assets_definitions for key in a.keys])

warehouse_assets = [warehouse_raw_assets, *dbt_assets_definitions, dbt_docs_site]
