"""Names of the lake's Delta tables (`processed.orders`), parsed once and checked against contracts.

Why a type: the CLI, the restore job and the catalog all take a table by name; one parser gives
one error message and one place that knows which zones hold Delta tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from platform_assets.contracts import CONTRACTS, TableContract
from platform_assets.contracts.events import EVENTS, EventContract
from platform_assets.errors import PlatformError
from platform_assets.lake import Lake

DELTA_ZONES = ("processed", "curated")


@dataclass(frozen=True, order=True)
class TableRef:
    zone: str
    name: str

    @classmethod
    def parse(cls, text: str) -> TableRef:
        """`processed.orders` or `curated/orders` (the asset key path)."""
        parts = text.replace("/", ".").split(".")
        if len(parts) != 2 or parts[0] not in DELTA_ZONES:
            raise PlatformError(
                f"{text!r} is not a Delta table; write <zone>.<table> with zone one "
                f"of {', '.join(DELTA_ZONES)}, e.g. processed.orders"
            )
        ref = cls(parts[0], parts[1])
        ref.contract  # noqa: B018 - validates the name
        return ref

    @property
    def contract(self) -> TableContract:
        try:
            return CONTRACTS[self.name]
        except KeyError:
            raise PlatformError(
                f"no table contract named {self.name!r}; known: {', '.join(sorted(CONTRACTS))}"
            ) from None

    @property
    def declaration(self) -> TableContract | EventContract:
        """What declares the table: its table contract, or the events contract for the
        processed clickstream (which `parse` and `contract` do not take: restores and
        reapplies are for the contract tables)."""
        if self == EVENTS_TABLE:
            return EVENTS
        return self.contract

    @property
    def key_path(self) -> list[str]:
        """The Dagster asset key path of the table."""
        return [self.zone, self.name]

    def uri(self, lake: Lake) -> str:
        return lake.delta_uri(self.zone, self.name)

    def __str__(self) -> str:
        return f"{self.zone}.{self.name}"


# the processed clickstream (events_lake/table.py), declared by contracts/events.py
EVENTS_TABLE = TableRef("processed", EVENTS.name)


def delta_tables() -> list[TableRef]:
    """Every Delta table of the lake: the contract tables' processed and curated ones, and the
    processed clickstream."""
    return [*(TableRef(zone, name) for zone in DELTA_ZONES for name in CONTRACTS), EVENTS_TABLE]
