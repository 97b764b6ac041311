"""`lakehouse quarantine ...`: raw files the apply could not read, and putting them back.

    lakehouse quarantine list [--table orders]
    lakehouse quarantine show orders 20261127-083000123.parquet
    lakehouse quarantine requeue orders 20261127-083000123.parquet [--reason "fixed the Op column"]

Fix a file where it lies in raw/_quarantine (or write a fixed one), then requeue it: it moves
back to the raw folder, the applied-file log records who requeued it, and the next apply of
the table applies it. The logic is in raw/quarantine.py; this only parses and prints.
"""

from __future__ import annotations

import click

from platform_assets.cli.commands import Group
from platform_assets.cli.environment import LAKE
from platform_assets.cli.output import format_rows, when
from platform_assets.cli.resources import lake

TABLE_HELP = "The contract table, e.g. orders."
FILE_HELP = "The file name, e.g. 20261127-083000123.parquet."


@click.group(cls=Group)
def quarantine() -> None:
    """Raw files the apply could not read: list, show, requeue."""


@quarantine.command("list", environment=LAKE)
@click.option("--table", default=None, help="Only this contract table, e.g. orders.")
def list_files(table: str | None) -> None:
    """Quarantined files with their reasons."""
    from platform_assets.raw.quarantine import list_files as quarantined

    found = quarantined(lake(), [table] if table else None)
    if not found:
        print("no quarantined files")
        return
    rows = [
        {
            "table": f.table,
            "file": f.name,
            "quarantined_at": when(f.quarantined_at),
            "reason": f.reason.splitlines()[0] if f.reason else "",
        }
        for f in found
    ]
    print(format_rows(rows, ["table", "file", "quarantined_at", "reason"], wrap_last=True))


@quarantine.command(environment=LAKE)
@click.argument("table", help=TABLE_HELP)
@click.argument("file", help=FILE_HELP)
def show(table: str, file: str) -> None:
    """Why a file was quarantined and what it holds."""
    from platform_assets.raw.quarantine import explain

    e = explain(lake(), table, file)
    print(f"{e.table}: {e.name} ({e.size} bytes), quarantined {when(e.quarantined_at)}")
    print(f"  found at:    {e.original_uri}")
    print(f"  lies at:     {e.uri}")
    print(f"  reason:      {e.reason}")
    for older in e.earlier_reasons:
        print(f"  earlier:     {older}")
    for copy in e.replaced_copies:
        print(f"  earlier copy kept at {copy}")
    if e.error:
        print(f"  cannot be read: {e.error}")
        return
    print(f"  rows: {e.rows}")
    if e.ops:
        print("  Op:   " + ", ".join(f"{op}: {n}" for op, n in sorted(e.ops.items())))
    print("  columns:")
    for name, kind in e.columns:
        print(f"    {name}  {kind}")


@quarantine.command(environment=LAKE)
@click.argument("table", help=TABLE_HELP)
@click.argument("file", help=FILE_HELP)
@click.option("--reason", default=None, help="What was fixed: kept in the applied-file log.")
def requeue(table: str, file: str, reason: str | None) -> None:
    """Move a (fixed) file back to the raw folder to be applied again."""
    from platform_assets.raw.quarantine import requeue as move_back
    from platform_assets.tables.audit import who_am_i

    r = move_back(lake(), table, file, who=who_am_i(), why=reason or "")
    print(
        f"requeued {r.name} to {r.raw_uri} (logged for {r.who}); it is pending: the next apply "
        f"of processed/{r.table} applies it (materialize it, or the next CDC run does)"
    )
