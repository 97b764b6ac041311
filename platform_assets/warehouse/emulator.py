"""SHIM: what differs when "Snowflake" is the local `fakesnow -s` server (CI parity only).

Everything else runs unchanged against fakesnow: the stage, `COPY INTO ... FILES = (...)` with
its load history, the transactions, dbt-snowflake's SQL. The differences are declared by
`PLATFORM_WAREHOUSE_EMULATOR=fakesnow` (never guessed from a host name) and kept here and in
`dbt_project/macros/emulator_shims.sql`:

- fakesnow 0.12 has no `METADATA$FILENAME` in a COPY transformation. The shim sends one COPY
  per file with the file's name as a literal in its place: the same statement shape, the same
  stage, the same load history; only the file name is spelled out by the client.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from platform_assets.warehouse.load_sql import CopiedTable, LoadBatch, SnowflakeDialect, quote

EMULATOR_ENV = "PLATFORM_WAREHOUSE_EMULATOR"
FAKESNOW = "fakesnow"


def emulator() -> str | None:
    """The declared Snowflake emulator, or None for the real service."""
    return os.environ.get(EMULATOR_ENV) or None


class FakesnowDialect(SnowflakeDialect):
    name = "snowflake (fakesnow)"

    def copy(self, c: CopiedTable, batch: LoadBatch, files: Sequence[str], file_uri) -> list[str]:
        copy = super().copy
        return [
            stmt.replace("metadata$filename", quote(batch.zone_path(f)))
            for f in files
            for stmt in copy(c, batch, [f], file_uri)
        ]
