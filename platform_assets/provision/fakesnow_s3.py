"""SHIM (the `prod` trial only): fakesnow's server whose DuckDB reads `s3://` from moto's S3.

fakesnow runs Snowflake's SQL on DuckDB, and DuckDB reads object stores through its `httpfs`
extension, which is downloaded at run time and so not available here. Without it a stage over
`s3://bucket/lake/curated/` cannot be read and every `COPY INTO` fails. This launcher registers
an fsspec filesystem for `s3` (pyarrow's S3 client, pointed at AWS_ENDPOINT_URL with the
environment's keys) on every DuckDB database fakesnow opens, then runs fakesnow's own command
line. The stages then read the lake itself, as on Snowflake: no copy of the lake, and the
loader's `COPY INTO ... FILES = (...)` reads the very files of each Delta version.

    python -m platform_assets.provision.fakesnow_s3 -s --host 127.0.0.1 --port 8765
"""

from __future__ import annotations

import os
import sys


def s3_filesystem():
    """An fsspec filesystem answering `s3://` through pyarrow, configured from the environment."""
    from pyarrow import fs

    from platform_assets.storage.files import fsspec_filesystem

    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    scheme, _, host = endpoint.partition("://")
    return fsspec_filesystem(
        fs.S3FileSystem(
            endpoint_override=host or None,
            scheme=scheme or "https",
            access_key=os.environ.get("AWS_ACCESS_KEY_ID"),
            secret_key=os.environ.get("AWS_SECRET_ACCESS_KEY"),
            region=os.environ.get("AWS_REGION", "us-east-1"),
        ),
        "s3",
    )


def patch_fakesnow() -> None:
    """Every FakeSnow instance (the server's shared one included) gets the S3 filesystem."""
    from fakesnow.instance import FakeSnow

    filesystem = s3_filesystem()
    original = FakeSnow.__init__

    def init(self, *args, **kwargs) -> None:
        original(self, *args, **kwargs)
        self.duck_conn.register_filesystem(filesystem)

    FakeSnow.__init__ = init


if __name__ == "__main__":
    patch_fakesnow()
    from fakesnow.cli import main

    sys.exit(main(sys.argv[1:]))
