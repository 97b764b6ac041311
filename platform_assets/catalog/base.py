"""The catalog interface: register a table (create, or update to a new version when changed)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Literal

from platform_assets.catalog.model import CatalogTable

Outcome = Literal["created", "updated", "unchanged"]


class Catalog(ABC):
    """A place that records tables by database and name, keeping the versions of each."""

    @abstractmethod
    def ensure_database(self, name: str, description: str = "") -> None: ...

    @abstractmethod
    def get_table(self, database: str, name: str) -> CatalogTable | None: ...

    @abstractmethod
    def list_tables(self, database: str) -> list[CatalogTable]: ...

    @abstractmethod
    def version_count(self, database: str, name: str) -> int:
        """How many versions of the table the catalog holds (1 after creation)."""

    @abstractmethod
    def _create(self, table: CatalogTable) -> None: ...

    @abstractmethod
    def _update(self, table: CatalogTable) -> None: ...

    def register(self, table: CatalogTable) -> Outcome:
        """Create the table, or update it (a new version) if anything registered changed."""
        table = table.with_fingerprint()
        self.ensure_database(
            table.database, f"Delta tables of the lake's {table.parameters.get('lakehouse.zone', '')} zone"
        )
        existing = self.get_table(table.database, table.name)
        if existing is None:
            self._create(table)
            return "created"
        if existing.registered_fingerprint == table.registered_fingerprint:
            return "unchanged"
        self._update(table)
        return "updated"
