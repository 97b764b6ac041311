"""Where the lake's zones live, for a local folder or an S3 prefix alike.

Every path rule of the lake is here, so the raw, processed and curated code never builds a
path by hand and the same code runs on `.lake/` and on `s3://bucket/prefix`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow.fs as pafs

ZONES = ("raw", "processed", "curated")


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
        opts = self.storage_options
        endpoint = opts.get("AWS_ENDPOINT_URL", "")
        return pafs.S3FileSystem(
            access_key=opts.get("AWS_ACCESS_KEY_ID"),
            secret_key=opts.get("AWS_SECRET_ACCESS_KEY"),
            region=opts.get("AWS_REGION", "us-east-1"),
            endpoint_override=endpoint.split("://")[-1] or None,
            scheme="http" if endpoint.startswith("http://") else "https",
        )

    def fs_path(self, uri: str) -> str:
        return uri[len("s3://"):] if uri.startswith("s3://") else uri
