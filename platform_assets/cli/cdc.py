"""`lakehouse cdc capture|full-load|resync`: the shop's Postgres into the raw zone (DMS files):
changes from the pgoutput slot, a first full load of every table, or the recovery after a lost
slot (a new slot and a reload of every table)."""

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
    from platform_assets.raw.assets import PUBLICATION, SLOT
    from platform_assets.raw.cdc_capture.capture import capture_once

    lake, dsn = _lake_and_dsn()
    while True:  # capture_once creates the slot on a first run and refuses a lost one
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
    running it twice writes nothing (as a DMS task after its full load). After a lost slot,
    use `lakehouse cdc resync`: it reloads every table."""
    from platform_assets.provision.first_load import take_full_load

    lake, dsn = _lake_and_dsn()
    print("\n".join(take_full_load(dsn, lake, slot=not no_slot).lines()))


@cdc.command(environment=union(LAKE, OLTP))
def resync() -> None:
    """Recover from a lost replication slot: a new slot, then a new full load of every table
    that replaces its rows in the lake (rows deleted meanwhile included).

    `cdc capture` refuses to run once the slot it used was dropped, invalidated or created
    again, and names this command. The reload lands as CDC files ordered after every change
    captured before; the apply then makes each processed table equal the source. Running it
    again with a healthy slot writes nothing; a resync that was killed is finished by a rerun."""
    import psycopg

    from platform_assets.contracts import CONTRACTS
    from platform_assets.raw.assets import PUBLICATION, SLOT, check_source_tables
    from platform_assets.raw.cdc_capture.resync import resync as take_resync

    lake, dsn = _lake_and_dsn()
    with psycopg.connect(dsn) as conn:
        check_source_tables(conn)
    result = take_resync(dsn, lake, list(CONTRACTS.values()), slot=SLOT, publication=PUBLICATION)
    print("\n".join(result.lines()))


def _lake_and_dsn():
    """The current profile's lake and OLTP DSN (EnvVars resolved)."""
    from platform_assets.profile import resources_for

    resources = resources_for()
    lake = resources["lake"].process_config_and_initialize().lake()
    return lake, resources["oltp"].process_config_and_initialize().resolved_dsn()
