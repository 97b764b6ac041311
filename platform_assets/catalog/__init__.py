"""The catalog of the lake's Delta tables: a local SQLite catalog, or the AWS Glue Data Catalog.

Every processed and curated table, and the processed clickstream (`processed.events`), is
registered with its location, its schema (types from the Delta log, descriptions and PII flags
from the contract), partition keys and table type, so engines and people can find it. A changed
schema registers a new table version.
"""

from platform_assets.catalog.base import Catalog
from platform_assets.catalog.describe import describe_table
from platform_assets.catalog.model import CatalogColumn, CatalogTable
from platform_assets.catalog.resource import CatalogResource

__all__ = ["Catalog", "CatalogColumn", "CatalogResource", "CatalogTable", "describe_table"]
