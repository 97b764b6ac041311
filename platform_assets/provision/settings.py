"""What provisioning creates, named by the declared variables (platform_assets/variables.py)."""

from __future__ import annotations

from dataclasses import dataclass

from platform_assets.aws import AwsResource, aws_settings
from platform_assets.errors import PlatformError
from platform_assets.variables import number, value


@dataclass(frozen=True)
class ProvisionSettings:
    lake_uri: str  # s3://bucket/prefix
    metadata_table: str
    events_stream: str
    events_shards: int
    glue_database_prefix: str
    aws: AwsResource

    @property
    def bucket(self) -> str:
        if not self.lake_uri.startswith("s3://"):
            raise PlatformError(f"PLATFORM_LAKE_URI={self.lake_uri!r} is not s3://bucket/prefix")
        return self.lake_uri[len("s3://") :].split("/", 1)[0]

    @classmethod
    def from_env(cls) -> ProvisionSettings:
        lake_uri = value("PLATFORM_LAKE_URI")
        if not lake_uri:
            raise PlatformError("PLATFORM_LAKE_URI is not set; set it to s3://bucket/prefix")
        return cls(
            lake_uri=lake_uri,
            metadata_table=value("PLATFORM_METADATA_TABLE") or "",
            events_stream=value("PLATFORM_EVENTS_STREAM") or "",
            events_shards=int(number("PLATFORM_EVENTS_SHARDS")),
            glue_database_prefix=value("PLATFORM_GLUE_DATABASE_PREFIX") or "",
            aws=AwsResource(**aws_settings()).process_config_and_initialize(),
        )
