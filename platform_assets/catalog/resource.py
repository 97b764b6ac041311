"""The catalog as a Dagster resource: `kind="local"` (SQLite file) or `kind="glue"` (AWS Glue).

Configured per profile in profile.py like the lake; credentials arrive as `EnvVar`s (or the
instance role when they are not set).
"""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from platform_assets.catalog.base import Catalog


class CatalogResource(ConfigurableResource):
    kind: str = Field(default="local", description="local (SQLite) or glue")
    path: str | None = Field(default=None, description="local: the SQLite file")
    database_prefix: str = Field(default="lakehouse_",
                                 description="databases are <prefix><zone>")
    region: str = "us-east-1"
    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None

    def catalog(self) -> Catalog:
        if self.kind == "local":
            from platform_assets.catalog.local import LocalCatalog

            if not self.path:
                raise ValueError("the local catalog needs a path")
            return LocalCatalog(self.path)
        if self.kind == "glue":
            import boto3

            from platform_assets.catalog.glue import GlueCatalog

            return GlueCatalog(boto3.client(
                "glue", region_name=self.region, endpoint_url=self.endpoint_url or None,
                aws_access_key_id=self.access_key_id or None,
                aws_secret_access_key=self.secret_access_key or None))
        raise ValueError(f"catalog kind {self.kind!r} is not one of local, glue")
