"""The `local` profile's catalog: every version of every table entry in one SQLite file.

Why SQLite: one file beside the lake (`.platform/catalog.sqlite`), safe for several processes
(the Dagster daemon, the CLI), readable with any SQLite tool; versions are kept like Glue's.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from platform_assets.catalog.base import Catalog
from platform_assets.catalog.model import CatalogTable

_DDL = """
CREATE TABLE IF NOT EXISTS databases (
    name TEXT PRIMARY KEY, description TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS table_versions (
    database TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL,
    definition TEXT NOT NULL, fingerprint TEXT NOT NULL, registered_at TEXT NOT NULL,
    PRIMARY KEY (database, name, version));
"""


class LocalCatalog(Catalog):
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.executescript(_DDL)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def ensure_database(self, name: str, description: str = "") -> None:
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT OR IGNORE INTO databases VALUES (?, ?, ?)",
                (name, description, datetime.now(UTC).isoformat()),
            )

    def get_table(self, database: str, name: str) -> CatalogTable | None:
        with closing(self._connect()) as db:
            row = db.execute(
                "SELECT definition FROM table_versions WHERE database = ? AND "
                "name = ? ORDER BY version DESC LIMIT 1",
                (database, name),
            ).fetchone()
        return CatalogTable.from_json(row[0]) if row else None

    def list_tables(self, database: str) -> list[CatalogTable]:
        with closing(self._connect()) as db:
            rows = db.execute(
                "SELECT definition FROM table_versions t WHERE database = ? AND version = "
                "(SELECT max(version) FROM table_versions WHERE database = t.database AND "
                "name = t.name) ORDER BY name",
                (database,),
            ).fetchall()
        return [CatalogTable.from_json(r[0]) for r in rows]

    def version_count(self, database: str, name: str) -> int:
        with closing(self._connect()) as db:
            return db.execute(
                "SELECT count(*) FROM table_versions WHERE database = ? AND name = ?", (database, name)
            ).fetchone()[0]

    def _insert(self, table: CatalogTable) -> None:
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT INTO table_versions SELECT ?, ?, coalesce(max(version), 0) + 1, ?, ?, ? "
                "FROM table_versions WHERE database = ? AND name = ?",
                (
                    table.database,
                    table.name,
                    table.to_json(),
                    table.registered_fingerprint,
                    datetime.now(UTC).isoformat(),
                    table.database,
                    table.name,
                ),
            )

    _create = _insert
    _update = _insert
