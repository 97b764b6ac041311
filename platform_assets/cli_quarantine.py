"""`lakehouse quarantine ...`: raw files the apply could not read, and putting them back.

    lakehouse quarantine list [--table orders]
    lakehouse quarantine show orders 20261127-083000123.parquet
    lakehouse quarantine requeue orders 20261127-083000123.parquet [--reason "fixed the Op column"]

Fix a file where it lies in raw/_quarantine (or write a fixed one), then requeue it: it moves
back to the raw folder, the applied-file log records who requeued it, and the next apply of
the table applies it. The logic is in raw/quarantine.py; this only parses and prints.
"""

from __future__ import annotations

import argparse

from platform_assets.cli_tables import _lake, format_rows


def _when(value) -> str:
    return value.isoformat(timespec="seconds") if value else ""


def _list(args) -> None:
    from platform_assets.raw.quarantine import list_files

    found = list_files(_lake(), [args.table] if args.table else None)
    if not found:
        print("no quarantined files")
        return
    rows = [{"table": f.table, "file": f.name, "quarantined_at": _when(f.quarantined_at),
             "reason": f.reason.splitlines()[0] if f.reason else ""} for f in found]
    print(format_rows(rows, ["table", "file", "quarantined_at", "reason"], wrap_last=True))


def _show(args) -> None:
    from platform_assets.raw.quarantine import explain

    e = explain(_lake(), args.table, args.file)
    print(f"{e.table}: {e.name} ({e.size} bytes), quarantined {_when(e.quarantined_at)}")
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


def _requeue(args) -> None:
    from platform_assets.raw.quarantine import requeue
    from platform_assets.tables.audit import who_am_i

    r = requeue(_lake(), args.table, args.file, who=who_am_i(), why=args.reason or "")
    print(f"requeued {r.name} to {r.raw_uri} (logged for {r.who}); it is pending: the next apply "
          f"of processed/{r.table} applies it (materialize it, or the next CDC run does)")


def add_quarantine_commands(subparsers: argparse._SubParsersAction) -> None:
    cmd = subparsers.add_parser("quarantine", help="raw files the apply could not read")
    sub = cmd.add_subparsers(dest="quarantine_command", required=True)
    listing = sub.add_parser("list", help="quarantined files with their reasons")
    listing.add_argument("--table", default=None, help="one table, e.g. orders")
    listing.set_defaults(func=_list)
    show = sub.add_parser("show", help="why a file was quarantined and what it holds")
    show.add_argument("table", help="the contract table, e.g. orders")
    show.add_argument("file", help="the file name, e.g. 20261127-083000123.parquet")
    show.set_defaults(func=_show)
    requeue = sub.add_parser("requeue", help="move a (fixed) file back to be applied again")
    requeue.add_argument("table")
    requeue.add_argument("file")
    requeue.add_argument("--reason", default=None, help="what was fixed: kept in the log")
    requeue.set_defaults(func=_requeue)
