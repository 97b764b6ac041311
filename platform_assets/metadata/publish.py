"""Publish every contract (the shop tables and the events) and its datasets to the store.

The contracts in code are the source of truth; the store is what other systems (the catalog,
the change-stream sensor, people) read. Publishing is idempotent: an unchanged contract
writes nothing, a changed one becomes the next schema version and appears on the change
stream, where `sensors.contract_change_sensor` re-checks the datasets it lists.
"""

from __future__ import annotations

from dataclasses import asdict

from platform_assets.contracts import CONTRACTS, TableContract
from platform_assets.contracts.events import EVENTS, EventContract
from platform_assets.metadata.store import MetadataStore


def table_contract_doc(c: TableContract) -> dict:
    doc = asdict(c)
    doc["kind"] = "table"
    doc["columns"] = [
        {
            "name": col.name,
            "type": col.type,
            "nullable": col.nullable,
            "pii": col.pii,
            "description": col.description,
        }
        for col in c.columns
    ]
    return doc


def table_datasets(c: TableContract) -> list[str]:
    return [f"raw/{c.name}", f"processed/{c.name}", f"curated/{c.name}"]


def event_datasets(c: EventContract) -> list[str]:
    return ["raw/events", f"processed/{c.name}"]


def publish_contracts(store: MetadataStore) -> dict[str, tuple[int, bool]]:
    """Publish all contracts and describe their datasets: name -> (version, changed)."""
    published = {}
    for c in CONTRACTS.values():
        datasets = table_datasets(c)
        published[c.name] = store.publish_contract(c.name, table_contract_doc(c), datasets)
        for ds in datasets:
            store.describe_dataset(ds, c.description, c.owner, contract=c.name, zone=ds.split("/")[0])
    datasets = event_datasets(EVENTS)
    published[EVENTS.name] = store.publish_contract(EVENTS.name, EVENTS.to_doc(), datasets)
    for ds in datasets:
        store.describe_dataset(
            ds, EVENTS.description, EVENTS.owner, contract=EVENTS.name, zone=ds.split("/")[0]
        )
    return published
