"""What maintenance works on: every Delta table of the lake, with its settings from the contract.

Besides the processed and curated tables, each table's applied-file log is a Delta table that
grows by one small file per apply run, so it is compacted and vacuumed too.
"""

from __future__ import annotations

from dataclasses import dataclass

from platform_assets.contracts import CONTRACTS, TableContract
from platform_assets.lake import Lake


@dataclass(frozen=True)
class Target:
    zone: str  # processed, curated or applied_log
    table: str
    clustering: tuple[str, ...]
    retention_hours: int

    def uri(self, lake: Lake) -> str:
        if self.zone == "applied_log":
            return lake.applied_log_uri(self.table)
        return lake.delta_uri(self.zone, self.table)

    @property
    def asset_key(self) -> list[str] | None:
        """The Dagster asset the table backs (applied logs back none)."""
        return None if self.zone == "applied_log" else [self.zone, self.table]

    @property
    def label(self) -> str:
        return f"{self.zone}.{self.table}"

    @property
    def op_name(self) -> str:
        return f"{self.zone}_{self.table}"

    @property
    def pool(self) -> str:
        """One writer per table: the same pool should guard the asset writing the table."""
        return f"delta_{self.op_name}"


def _clustering(c: TableContract, zone: str) -> tuple[str, ...]:
    """The contract's clustering columns that exist in the zone (PII columns are renamed or
    dropped in the curated zone)."""
    if zone == "applied_log":
        return ()
    names = (c.processed_schema() if zone == "processed" else c.curated_schema()).names
    return tuple(col for col in c.clustering if col in names)


def targets(zones: tuple[str, ...] = ("processed", "curated", "applied_log")) -> list[Target]:
    return [
        Target(zone, c.name, _clustering(c, zone), c.vacuum_retention_hours)
        for zone in zones
        for c in CONTRACTS.values()
    ]
