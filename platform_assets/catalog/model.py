"""A catalog entry, shaped like a Glue table so both catalogs store the same thing."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

FINGERPRINT = "lakehouse.schema_fingerprint"


@dataclass(frozen=True)
class CatalogColumn:
    name: str
    type: str  # a Hive type: bigint, string, decimal(12,2), timestamp, array<int>, ...
    comment: str = ""
    parameters: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class CatalogTable:
    database: str
    name: str
    location: str
    columns: tuple[CatalogColumn, ...]
    partition_keys: tuple[CatalogColumn, ...] = ()
    table_type: str = "EXTERNAL_TABLE"
    description: str = ""
    owner: str = ""
    parameters: dict[str, str] = field(default_factory=dict, hash=False)

    def fingerprint(self) -> str:
        """A hash of everything registered (not of the fingerprint itself): equal fingerprints
        mean there is nothing to update."""
        d = asdict(self)
        d["parameters"] = {k: v for k, v in sorted(self.parameters.items()) if k != FINGERPRINT}
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]

    def with_fingerprint(self) -> CatalogTable:
        return CatalogTable(
            **{**self.__dict__, "parameters": {**self.parameters, FINGERPRINT: self.fingerprint()}}
        )

    @property
    def registered_fingerprint(self) -> str | None:
        return self.parameters.get(FINGERPRINT)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CatalogTable:
        d = json.loads(text)
        d["columns"] = tuple(CatalogColumn(**c) for c in d["columns"])
        d["partition_keys"] = tuple(CatalogColumn(**c) for c in d["partition_keys"])
        return cls(**d)
