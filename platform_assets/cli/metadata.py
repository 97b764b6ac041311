"""`lakehouse metadata ...`: the contracts in the metadata store."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from platform_assets.cli.commands import Group
from platform_assets.cli.environment import METADATA
from platform_assets.cli.resources import initialized
from platform_assets.errors import PlatformError


def _store():
    return initialized("metadata_store")["metadata_store"].store()


@click.group(cls=Group)
def metadata() -> None:
    """The metadata store: contracts and their last materializations."""


@metadata.command(environment=METADATA)
def publish() -> None:
    """Publish every contract (a new version where it changed)."""
    from platform_assets.metadata.publish import publish_contracts

    for name, (version, changed) in publish_contracts(_store()).items():
        print(f"{name:<12} v{version}{'  (new version)' if changed else ''}")


@metadata.command(environment=METADATA)
@click.argument(
    "name",
    required=False,
    default=None,
    help="One contract to print in full, e.g. orders (default: list them all).",
)
def show(name: str | None) -> None:
    """The published contracts, or one in full."""
    store = _store()
    if name:
        doc = store.contract(name)
        if doc is None:
            raise PlatformError(
                f"no contract {name!r} in the metadata store; run `lakehouse metadata publish`"
            )
        print(json.dumps(doc, indent=2))
        return
    for contract_name, doc in sorted(store.contracts().items()):
        last = [store.last_materialization(d) for d in doc["datasets"]]
        when = max((m["timestamp"] for m in last if m), default=None)
        print(
            f"{contract_name:<12} v{doc['schema_version']}  "
            f"datasets={','.join(doc['datasets'])}  last_materialized="
            f"{datetime.fromtimestamp(when, UTC).isoformat() if when else '-'}"
        )
