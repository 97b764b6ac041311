"""One memory bound for every DuckDB the platform opens in its own process to work through a
whole table (the warehouse load, the reconciliation, the ML features).

DuckDB's default limit is 80% of the machine's RAM, so each of those steps grew with the data.
Under the bound DuckDB spills hash tables and sorts to disk (`temp_directory`), so a step's
memory stays about the same at 1M and 10M rows. The limit covers DuckDB's buffer manager; the
Arrow batches the platform feeds it come on top. dbt's DuckDB has its own bound, in
`dbt_project/profiles.yml` (`settings.memory_limit`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

WORK_MEMORY = "512MB"


def bounded_config(scratch: str) -> dict[str, str]:
    """`duckdb.connect(config=...)` for a bounded connection spilling into `scratch`."""
    return {"memory_limit": WORK_MEMORY, "temp_directory": scratch}


@contextmanager
def bounded_duckdb(prefix: str) -> Iterator:
    """An in-memory DuckDB under the bound, spilling into a scratch folder removed afterwards."""
    import duckdb

    with (
        tempfile.TemporaryDirectory(prefix=prefix) as scratch,
        duckdb.connect(config=bounded_config(scratch)) as db,
    ):
        yield db
