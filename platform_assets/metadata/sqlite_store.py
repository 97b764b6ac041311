"""The `local` profile's metadata store: one SQLite file, with its own change stream.

Each write and its change-stream entry commit in one transaction, as DynamoDB Streams
records every successful write exactly once with its old and new image. A connection per
operation and WAL mode let Dagster's daemon, sensors and runs (separate processes) share it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from platform_assets.metadata.store import ANY, Change, ConcurrentUpdate, Item, MetadataStore, now_iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL, sk TEXT NOT NULL, doc TEXT NOT NULL, version INTEGER NOT NULL,
    updated_at TEXT NOT NULL, PRIMARY KEY (pk, sk));
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, pk TEXT NOT NULL,
    sk TEXT NOT NULL, old TEXT, new TEXT, new_version INTEGER, at TEXT NOT NULL);
"""


class SqliteMetadataStore(MetadataStore):
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA busy_timeout=30000")
        return db

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        try:
            yield db
        finally:
            db.close()

    @staticmethod
    def _item(row) -> Item:
        pk, sk, doc, version, updated_at = row
        return Item(pk, sk, json.loads(doc), version, updated_at)

    def get(self, pk: str, sk: str) -> Item | None:
        with self._db() as db:
            row = db.execute(
                "SELECT pk, sk, doc, version, updated_at FROM items WHERE pk = ? AND sk = ?", (pk, sk)
            ).fetchone()
        return self._item(row) if row else None

    def put(self, pk: str, sk: str, doc: dict, expected_version: Any = ANY) -> Item:
        body = json.dumps(doc, sort_keys=True, default=str)
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT doc, version FROM items WHERE pk = ? AND sk = ?", (pk, sk)).fetchone()
            version = row[1] if row else None
            if expected_version is not ANY and expected_version != version:
                db.execute("ROLLBACK")
                raise ConcurrentUpdate(f"{pk}/{sk}: expected version {expected_version}, found {version}")
            new_version = (version or 0) + 1
            at = now_iso()
            db.execute(
                "INSERT INTO items (pk, sk, doc, version, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (pk, sk) DO UPDATE SET "
                "doc = excluded.doc, version = excluded.version, "
                "updated_at = excluded.updated_at",
                (pk, sk, body, new_version, at),
            )
            db.execute(
                "INSERT INTO changes (kind, pk, sk, old, new, new_version, at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                ("MODIFY" if row else "INSERT", pk, sk, row[0] if row else None, body, new_version, at),
            )
            db.execute("COMMIT")
        finally:
            db.close()
        return Item(pk, sk, json.loads(body), new_version, at)

    def delete(self, pk: str, sk: str) -> None:
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT doc FROM items WHERE pk = ? AND sk = ?", (pk, sk)).fetchone()
            if row:
                db.execute("DELETE FROM items WHERE pk = ? AND sk = ?", (pk, sk))
                db.execute(
                    "INSERT INTO changes (kind, pk, sk, old, new, at) VALUES ('REMOVE', ?, ?, ?, NULL, ?)",
                    (pk, sk, row[0], now_iso()),
                )
            db.execute("COMMIT")
        finally:
            db.close()

    def query(self, pk: str, sk_prefix: str = "") -> list[Item]:
        with self._db() as db:
            rows = db.execute(
                "SELECT pk, sk, doc, version, updated_at FROM items "
                "WHERE pk = ? AND substr(sk, 1, ?) = ? ORDER BY sk",
                (pk, len(sk_prefix), sk_prefix),
            ).fetchall()
        return [self._item(r) for r in rows]

    def scan(self, pk_prefix: str) -> list[Item]:
        with self._db() as db:
            rows = db.execute(
                "SELECT pk, sk, doc, version, updated_at FROM items "
                "WHERE substr(pk, 1, ?) = ? ORDER BY pk, sk",
                (len(pk_prefix), pk_prefix),
            ).fetchall()
        return [self._item(r) for r in rows]

    def read_changes(self, cursor: str | None, limit: int = 1000) -> tuple[list[Change], str]:
        after = int(cursor or 0)
        with self._db() as db:
            rows = db.execute(
                "SELECT seq, kind, pk, sk, old, new, new_version FROM changes "
                "WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, limit),
            ).fetchall()
        changes = [
            Change(kind, pk, sk, json.loads(old) if old else None, json.loads(new) if new else None, nv)
            for _, kind, pk, sk, old, new, nv in rows
        ]
        return changes, str(rows[-1][0] if rows else after)
