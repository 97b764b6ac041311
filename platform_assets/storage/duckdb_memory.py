"""One memory bound for every DuckDB the platform opens in its own process to work through a
whole table (the warehouse load, the reconciliation, the ML features).

DuckDB's default limit is 80% of the machine's RAM, so each of those steps grew with the data.
Under the bound DuckDB spills hash tables and sorts to disk (`temp_directory`), so a step's
memory stays about the same at 1M and 10M rows. The limit covers DuckDB's buffer manager; the
Arrow batches the platform feeds it come on top. dbt's DuckDB has its own bound, in
`dbt_project/profiles.yml` (`settings.memory_limit`).
"""

from __future__ import annotations

WORK_MEMORY = "512MB"


def bounded_config(scratch: str) -> dict[str, str]:
    """`duckdb.connect(config=...)` for a bounded connection spilling into `scratch`."""
    return {"memory_limit": WORK_MEMORY, "temp_directory": scratch}
