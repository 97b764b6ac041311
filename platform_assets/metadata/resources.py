"""The metadata store as a Dagster resource: a SQLite file (`local`) or DynamoDB (`prod`).

profile.py chooses the variant; everything else just calls `.store()`. AWS credentials come
as `EnvVar`s and are never logged; without them boto3's default chain (an ECS task role) is
used.
"""

from __future__ import annotations

from typing import Literal

from dagster import ConfigurableResource

from platform_assets.metadata.store import MetadataStore


class MetadataStoreResource(ConfigurableResource):
    kind: Literal["sqlite", "dynamodb"] = "sqlite"
    sqlite_path: str | None = None
    table_name: str | None = None
    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: str | None = None

    def store(self) -> MetadataStore:
        if self.kind == "sqlite":
            from platform_assets.metadata.sqlite_store import SqliteMetadataStore

            if not self.sqlite_path:
                raise ValueError("MetadataStoreResource(kind='sqlite') needs sqlite_path")
            return SqliteMetadataStore(self.sqlite_path)
        from platform_assets.metadata.dynamo_store import DynamoMetadataStore

        if not self.table_name:
            raise ValueError("MetadataStoreResource(kind='dynamodb') needs table_name")
        return DynamoMetadataStore.connect(
            self.table_name, endpoint_url=self.endpoint_url, region=self.region,
            access_key_id=self.access_key_id, secret_access_key=self.secret_access_key)


def local_metadata_store(home) -> MetadataStoreResource:
    """The `local` profile's store, under the platform's home (.platform/metadata.sqlite)."""
    return MetadataStoreResource(kind="sqlite", sqlite_path=str(home / ".platform" /
                                                                 "metadata.sqlite"))
