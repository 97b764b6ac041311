"""`lakehouse cdc capture|full-load`: the shop's Postgres into the raw zone (DMS files): changes
from the pgoutput slot, or a first full load of every table."""

from __future__ import annotations

import time

import click

from platform_assets.cli.commands import Group
from platform_assets.cli.environment import LAKE, OLTP, union
from platform_assets.cli.values import SECONDS


@click.group(cls=Group)
def cdc() -> None:
    """Change data capture from the shop's Postgres into the raw zone."""


@cdc.command(environment=union(LAKE, OLTP))
@click.option("--continuous", is_flag=True, help="Keep capturing until interrupted.")
@click.option("--interval", type=SECONDS, default=2.0, help="Seconds between captures with --continuous.")
def capture(continuous: bool, interval: float) -> None:
    """Capture the pending changes into DMS-format files (once, or --continuous)."""
    import psycopg

    from platform_assets.profile import resources_for
    from platform_assets.raw.assets import PUBLICATION, SLOT
    from platform_assets.raw.cdc_capture.capture import capture_once
    from platform_assets.raw.cdc_capture.slot import ensure_replication

    resources = resources_for()
    lake = resources["lake"].process_config_and_initialize().lake()  # resolves EnvVars
    dsn = resources["oltp"].process_config_and_initialize().resolved_dsn()
    with psycopg.connect(dsn) as conn:
        ensure_replication(conn, slot=SLOT, publication=PUBLICATION)
    while True:
        result = capture_once(dsn, lake, slot=SLOT, publication=PUBLICATION)
        if result.files:
            print(f"captured {sum(result.changes.values())} changes into {len(result.files)} files")
        if not continuous:
            return
        time.sleep(interval)


@cdc.command(name="full-load", environment=union(LAKE, OLTP))
@click.option(
    "--no-slot",
    is_flag=True,
    help="Do not create the replication slot first (a DMS task does the CDC). "
    "Without this flag the slot keeps the changes after the snapshot for "
    "`cdc capture`, and holds WAL on the source until they are captured.",
)
def full_load(no_slot: bool) -> None:
    """Take a full load of every table into the raw zone of the current profile (LOAD files).

    A table whose raw folder already holds a full load is not loaded again and is named, so
    running it twice writes nothing (as a DMS task after its full load)."""
    from platform_assets.profile import resources_for
    from platform_assets.provision.first_load import take_full_load

    resources = resources_for()
    lake = resources["lake"].process_config_and_initialize().lake()  # resolves EnvVars
    dsn = resources["oltp"].process_config_and_initialize().resolved_dsn()
    print("\n".join(take_full_load(dsn, lake, slot=not no_slot).lines()))
