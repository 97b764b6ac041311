"""The metadata store's interface: versioned JSON items under (pk, sk) keys, and their changes.

Why this shape: it is DynamoDB's single-table model (partition key, sort key, conditional
writes, a change stream with old and new images), which SQLite can reproduce exactly, so the
two profiles share every operation above the five primitives below. Writes are conditional
on the item's version when asked (optimistic concurrency: a stream checkpoint cannot be moved
by two consumers at once), and every write appears once on the change stream.

Item layout (one table):
    contract#<name>     current       the contract document, its version and fingerprint
    contract#<name>     v000001 ...   every published version (schema history)
    dataset#<asset>     description   description, owner, contract, kind
    dataset#<asset>     materialization   the last materialization (run, partition, time)
    checkpoint#<app>#<stream>  <shard id>   a stream consumer's position in a shard
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ANY = object()  # `expected_version` sentinel: write unconditionally


class ConcurrentUpdate(RuntimeError):
    """A conditional write lost: the item changed since it was read."""


@dataclass(frozen=True)
class Item:
    pk: str
    sk: str
    doc: dict
    version: int
    updated_at: str


@dataclass(frozen=True)
class Change:
    kind: str  # INSERT, MODIFY or REMOVE (DynamoDB Streams' eventName)
    pk: str
    sk: str
    old: dict | None  # the item's doc before, if any
    new: dict | None  # after, if any
    new_version: int | None = None


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def fingerprint(doc: dict) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


class MetadataStore(ABC):
    # -- primitives --------------------------------------------------------------------------
    @abstractmethod
    def get(self, pk: str, sk: str) -> Item | None: ...

    @abstractmethod
    def put(self, pk: str, sk: str, doc: dict, expected_version: Any = ANY) -> Item:
        """Write `doc`, bumping the version. `expected_version`: ANY, None (must not exist)
        or the version the item must still have; otherwise raises ConcurrentUpdate."""

    @abstractmethod
    def delete(self, pk: str, sk: str) -> None: ...

    @abstractmethod
    def query(self, pk: str, sk_prefix: str = "") -> list[Item]:
        """Items of one partition key, by sort key."""

    @abstractmethod
    def scan(self, pk_prefix: str) -> list[Item]:
        """Items whose partition key starts with `pk_prefix` (small sets only)."""

    @abstractmethod
    def read_changes(self, cursor: str | None, limit: int = 1000) -> tuple[list[Change], str]:
        """Changes after `cursor` (None: from the oldest retained), and the next cursor."""

    def close(self) -> None:  # noqa: B027 - optional hook
        pass

    # -- contracts and schema versions -------------------------------------------------------
    def publish_contract(self, name: str, doc: dict, datasets: list[str]) -> tuple[int, bool]:
        """Store a contract; a changed document becomes a new schema version.

        Returns (version, changed). Publishing the same document again writes nothing, so
        publishing at every deployment does not flood the change stream.
        """
        pk = f"contract#{name}"
        digest = fingerprint(doc)
        current = self.get(pk, "current")
        if current and current.doc.get("fingerprint") == digest and current.doc.get("datasets") == datasets:
            return current.doc["schema_version"], False
        version = (current.doc["schema_version"] + 1) if current else 1
        body = {
            "name": name,
            "schema_version": version,
            "fingerprint": digest,
            "datasets": datasets,
            "contract": doc,
            "published_at": now_iso(),
        }
        self.put(pk, f"v{version:06d}", body)
        self.put(pk, "current", body, expected_version=current.version if current else None)
        return version, True

    def contract(self, name: str) -> dict | None:
        item = self.get(f"contract#{name}", "current")
        return item.doc if item else None

    def contract_history(self, name: str) -> list[dict]:
        return [i.doc for i in self.query(f"contract#{name}", "v")]

    def contracts(self) -> dict[str, dict]:
        return {i.doc["name"]: i.doc for i in self.scan("contract#") if i.sk == "current"}

    # -- datasets ----------------------------------------------------------------------------
    def describe_dataset(
        self, dataset: str, description: str, owner: str, contract: str | None = None, **extra: Any
    ) -> None:
        doc = {"dataset": dataset, "description": description, "owner": owner, "contract": contract, **extra}
        current = self.get(f"dataset#{dataset}", "description")
        if current is None or current.doc != doc:
            self.put(f"dataset#{dataset}", "description", doc)

    def dataset(self, dataset: str) -> dict | None:
        item = self.get(f"dataset#{dataset}", "description")
        return item.doc if item else None

    def record_materialization(self, dataset: str, info: dict) -> None:
        """Keep the newest materialization only (by its event-log storage id, if given)."""
        current = self.get(f"dataset#{dataset}", "materialization")
        if current and current.doc.get("storage_id", -1) >= info.get("storage_id", 0):
            return
        self.put(f"dataset#{dataset}", "materialization", {"dataset": dataset, **info})

    def last_materialization(self, dataset: str) -> dict | None:
        item = self.get(f"dataset#{dataset}", "materialization")
        return item.doc if item else None
