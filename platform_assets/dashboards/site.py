"""Where the pages live: a local folder (`<home>/.platform/dashboards/`) or, in `prod`, the
prefix `dashboards/` beside the lake's zones on S3. The server reads them from the same place.

Each page `<name>.html` has its summary `<name>.json` beside it (data as of, rows per chart,
missing tables), which the index and the server's per-user index are made from.
"""

from __future__ import annotations

import json

from pydantic import Field

from platform_assets.aws import AwsResource
from platform_assets.lake import Lake
from platform_assets.storage.files import write_bytes_atomic


class DashboardSite(AwsResource):
    """The pages' folder, or S3 prefix (`root` + `folder`), and how to reach it."""

    root: str = Field(description="A local folder or s3://bucket/prefix.")
    folder: str = Field(default="", description="A sub-folder of root (prod: `dashboards`).")

    def _lake(self) -> Lake:
        return Lake(self.root, self.storage_options() if self.root.startswith("s3://") else {})

    def uri(self, name: str = "") -> str:
        parts = [p for p in (self.folder, name) if p]
        return self._lake().uri(*parts)

    def write(self, name: str, data: bytes) -> str:
        uri = self.uri(name)
        write_bytes_atomic(self._lake(), uri, data)
        return uri

    def read(self, name: str) -> bytes | None:
        """The file's bytes, or None when it has not been written."""
        import pyarrow.fs as pafs

        lake = self._lake()
        fs, path = lake.filesystem(), lake.fs_path(self.uri(name))
        if fs.get_file_info(path).type != pafs.FileType.File:
            return None
        with fs.open_input_stream(path) as f:
            return f.read()

    def summary(self, name: str) -> dict | None:
        data = self.read(f"{name}.json")
        return json.loads(data) if data else None
