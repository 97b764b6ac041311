"""Dagster resources for the lake and the OLTP database.

Configured once per profile in `profile.py`; secrets arrive as `EnvVar`s and never appear in
run config or metadata.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
from dagster import ConfigurableResource

from platform_assets.lake import Lake
from platform_assets.sources.oltp.server import check_connection, resolve_dsn


class LakeResource(ConfigurableResource):
    """The lake's root (a folder or s3://bucket/prefix) and how to reach it."""

    root: str
    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: str | None = None

    def lake(self) -> Lake:
        opts: dict[str, str] = {}
        if self.root.startswith("s3://"):
            opts["AWS_REGION"] = self.region
            if self.endpoint_url:
                opts["AWS_ENDPOINT_URL"] = self.endpoint_url
                opts["AWS_ALLOW_HTTP"] = str(self.endpoint_url.startswith("http://")).lower()
            if self.access_key_id:
                opts["AWS_ACCESS_KEY_ID"] = self.access_key_id
                opts["AWS_SECRET_ACCESS_KEY"] = self.secret_access_key or ""
        return Lake(self.root, opts)


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
