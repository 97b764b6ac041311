"""Dagster resources for the lake and the OLTP database.

Configured once per profile in `profile.py`; secrets arrive as `EnvVar`s and never appear in
run config or metadata.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
from dagster import ConfigurableResource

from platform_assets.aws import AwsResource
from platform_assets.lake import Lake
from platform_assets.sources.oltp.server import check_connection, resolve_dsn


class LakeResource(AwsResource):
    """The lake's root (a folder or s3://bucket/prefix) and, on S3, the AWS settings to reach it.

    On S3 the storage options delta-rs and pyarrow get are `storage_options()`: the same
    region, endpoint, credentials (none: the default chain), timeouts and commit protocol as
    every boto3 client of the profile.
    """

    root: str

    def lake(self) -> Lake:
        return Lake(self.root, self.storage_options() if self.root.startswith("s3://") else {})


class OltpResource(ConfigurableResource):
    """The shop's Postgres: a DSN, or the embedded server under `data_dir`."""

    data_dir: str
    dsn: str | None = None

    def resolved_dsn(self) -> str:
        dsn = self.dsn or resolve_dsn(Path(self.data_dir))
        check_connection(dsn)
        return dsn

    def connect(self, **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.resolved_dsn(), **kwargs)
