"""The catalog as a Dagster resource: `kind="local"` (SQLite file) or `kind="glue"` (AWS Glue).

Configured per profile in profile.py like the lake; Glue is reached with the profile's AWS
settings (`AwsResource`; keys optional: the instance or task role when they are not set).
"""

from __future__ import annotations

from pydantic import Field

from platform_assets.aws import AwsResource
from platform_assets.catalog.base import Catalog


class CatalogResource(AwsResource):
    kind: str = Field(default="local", description="local (SQLite) or glue")
    path: str | None = Field(default=None, description="local: the SQLite file")
    database_prefix: str = Field(default="lakehouse_", description="databases are <prefix><zone>")

    def catalog(self) -> Catalog:
        if self.kind == "local":
            from platform_assets.catalog.local import LocalCatalog

            if not self.path:
                raise ValueError("the local catalog needs a path")
            return LocalCatalog(self.path)
        if self.kind == "glue":
            from platform_assets.catalog.glue import GlueCatalog

            return GlueCatalog(self.client("glue"))
        raise ValueError(f"catalog kind {self.kind!r} is not one of local, glue")
