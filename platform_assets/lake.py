"""Where the lake's zones live, for a local folder or an S3 prefix alike.

Every path rule of the lake is here, so the raw, processed and curated code never builds a
path by hand and the same code runs on `.lake/` and on `s3://bucket/prefix`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow.fs as pafs

ZONES = ("raw", "processed", "curated")
ML_ZONE = "ml"  # the ML area's datasets, models and pins (platform_assets/ml/)


@dataclass(frozen=True)
class Lake:
    root: str  # a local folder or s3://bucket/prefix
    storage_options: dict[str, str] = field(default_factory=dict)

    @property
    def is_s3(self) -> bool:
        return self.root.startswith("s3://")

    def uri(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    # raw zone, in AWS DMS's S3 target layout
    def raw_cdc_prefix(self, schema: str, table: str) -> str:
        return self.uri("raw", "cdc", schema, table)

    def quarantine_prefix(self, schema: str, table: str) -> str:
        return self.uri("raw", "_quarantine", "cdc", schema, table)

    # Delta tables
    def delta_uri(self, zone: str, table: str) -> str:
        if zone not in ("processed", "curated"):
            raise ValueError(f"zone {zone!r} holds no Delta tables")
        return self.uri(zone, table)

    def applied_log_uri(self, table: str) -> str:
        return self.uri("processed", "_applied_files", table)

    def filesystem(self) -> pafs.FileSystem:
        """A pyarrow filesystem whose paths are `fs_path(uri)`."""
        if not self.is_s3:
            return pafs.LocalFileSystem()
        from platform_assets.aws import AwsResource

        aws = AwsResource.from_storage_options(self.storage_options)  # timeouts, retries too
        endpoint = aws.endpoint_url or ""
        return pafs.S3FileSystem(
            access_key=aws.aws_access_key_id,
            secret_key=aws.aws_secret_access_key,
            session_token=aws.aws_session_token,
            region=aws.region_name or "us-east-1",
            endpoint_override=endpoint.split("://")[-1] or None,
            scheme="http" if endpoint.startswith("http://") else "https",
            connect_timeout=aws.connect_timeout_s,
            request_timeout=aws.read_timeout_s,
            retry_strategy=pafs.AwsStandardS3RetryStrategy(max_attempts=aws.max_attempts),
        )

    def s3_client(self):
        """A boto3 S3 client with the lake's settings (endpoint, credentials, timeouts)."""
        from platform_assets.aws import AwsResource

        return AwsResource.from_storage_options(self.storage_options).client("s3")

    def fs_path(self, uri: str) -> str:
        return uri[len("s3://") :] if uri.startswith("s3://") else uri
