"""The metadata store as a Dagster resource: a SQLite file (`local`) or DynamoDB (`prod`).

profile.py chooses the variant; everything else just calls `.store()`. DynamoDB and its
stream are reached with the profile's AWS settings (`AwsResource`: endpoint, region,
timeouts, retries; keys optional: without them boto3's default chain, e.g. an ECS task role).
"""

from __future__ import annotations

from typing import Literal

from platform_assets.aws import AwsResource
from platform_assets.metadata.store import MetadataStore


class MetadataStoreResource(AwsResource):
    kind: Literal["sqlite", "dynamodb"] = "sqlite"
    sqlite_path: str | None = None
    table_name: str | None = None

    def store(self) -> MetadataStore:
        if self.kind == "sqlite":
            from platform_assets.metadata.sqlite_store import SqliteMetadataStore

            if not self.sqlite_path:
                raise ValueError("MetadataStoreResource(kind='sqlite') needs sqlite_path")
            return SqliteMetadataStore(self.sqlite_path)
        from platform_assets.metadata.dynamo_store import DynamoMetadataStore

        if not self.table_name:
            raise ValueError("MetadataStoreResource(kind='dynamodb') needs table_name")
        return DynamoMetadataStore(self.table_name, self.client("dynamodb"), self.client("dynamodbstreams"))


def local_metadata_store(home) -> MetadataStoreResource:
    """The `local` profile's store, under the platform's home (.platform/metadata.sqlite)."""
    return MetadataStoreResource(kind="sqlite", sqlite_path=str(home / ".platform" / "metadata.sqlite"))
