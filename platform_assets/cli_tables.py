"""`lakehouse table ...` and `lakehouse sharing ...`: time travel, restore and the sharing server.

    lakehouse table history processed.orders [--limit 20]
    lakehouse table show curated.products [--as-of 12 | --as-of 2026-11-27T08:00:00Z] [--limit 20]
    lakehouse table restore processed.orders --to 12 --reason "bad batch at 08:00" [--yes]
    lakehouse table reapply processed.orders --reason "the batch was fine"
    lakehouse sharing serve [--host 127.0.0.1] [--port 8090]

Why builders, not a parser: cli.py owns the top-level parser; these add their subcommands to it.
"""

from __future__ import annotations

import argparse
import sys

from platform_assets.cli_args import (
    column_list,
    non_negative_int,
    port,
    positive_int,
    table_ref,
    version_or_time,
)
from platform_assets.errors import PlatformError


def _lake():
    from platform_assets.profile import resources_for

    # resolves EnvVars (the prod lake's URI and keys) the way a Dagster run would
    return resources_for()["lake"].process_config_and_initialize().lake()


def _cell(value, width: int | None = 32) -> str:
    text = "" if value is None else str(value)
    return text if width is None or len(text) <= width else text[: width - 1] + "…"


def format_rows(rows: list[dict], columns: list[str], wrap_last: bool = False) -> str:
    """A plain text table (no pandas in the core install); long cells are cut unless they are
    in the last column and `wrap_last`."""
    cells = [[_cell(r.get(c), None if wrap_last and i == len(columns) - 1 else 32)
              for i, c in enumerate(columns)] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    def line(values: list[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *map(line, cells)])


def _history(args) -> None:
    from platform_assets.tables import table_history

    commits = table_history(_lake(), args.table, args.limit)
    rows = [{"version": c.version,
             "timestamp": c.timestamp.isoformat(timespec="seconds") if c.timestamp else "",
             "operation": c.operation,
             "details": ", ".join(f"{k}={v}" for k, v in {**c.custom, **c.metrics}.items()
                                  if not isinstance(v, dict | list))} for c in commits]
    print(format_rows(rows, ["version", "timestamp", "operation", "details"], wrap_last=True))


def _known_columns(table, dt, columns: list[str] | None) -> list[str] | None:
    """`columns` if the table (at the version read) has them all; a PlatformError otherwise."""
    if columns is None:
        return None
    names = dt.schema().to_arrow().names
    if unknown := [c for c in columns if c not in names]:
        raise PlatformError(f"{table} has no column {', '.join(map(repr, unknown))} at version "
                            f"{dt.version()}; its columns: {', '.join(names)}")
    return columns


def _show(args) -> None:
    from platform_assets.tables import open_as_of

    dt = open_as_of(_lake(), args.table, args.as_of)
    columns = _known_columns(args.table, dt, args.columns)
    rows = dt.to_pyarrow_dataset().head(args.limit, columns=columns)
    print(f"{args.table} at version {dt.version()} ({dt.to_pyarrow_dataset().count_rows()} rows;"
          f" first {rows.num_rows} shown)")
    print(format_rows(rows.to_pylist(), rows.schema.names))


def _restore(args) -> None:
    from platform_assets.tables import open_as_of, restore_table
    from platform_assets.tables.audit import who_am_i

    lake, ref = _lake(), args.table
    current = open_as_of(lake, ref).version()
    target = open_as_of(lake, ref, args.to).version()
    print(f"restore {ref} from version {current} to the state of version {target}")
    if ref.zone == "processed":
        print("  raw files applied after it are held (not re-applied) until `lakehouse table "
              "reapply`; the curated table is rebuilt")
    if not args.yes:
        if not sys.stdin.isatty():
            raise PlatformError("restoring needs confirmation: add --yes when not interactive")
        if input("type the table name to confirm: ").strip() != str(ref):
            raise PlatformError("not confirmed; nothing was restored")
    r = restore_table(lake, ref, target, who=who_am_i(), why=args.reason)
    print(f"restored: {ref} is now version {r.new_version} (= version {r.to_version}); "
          f"recorded in _audit/restores for {r.who}")
    from platform_assets.tables.restore_events import report_restore

    if report_restore(lake, r):
        print("  recorded on the Dagster asset as a materialization")
    else:
        print("  warning: DAGSTER_HOME is not set, so the Dagster asset has no event of this "
              "restore", file=sys.stderr)


def _reapply(args) -> None:
    from platform_assets.tables import TableRef
    from platform_assets.tables.audit import who_am_i
    from platform_assets.tables.reapply import reapply

    ref = TableRef.parse(args.table)
    held = reapply(_lake(), ref, who=who_am_i(), why=args.reason)
    print(f"{ref}: {len(held)} rolled-back raw files queued again; the next apply of "
          f"{'/'.join(ref.key_path)} applies them" if held else f"{ref}: nothing rolled back")


def add_table_commands(subparsers: argparse._SubParsersAction) -> None:
    table = subparsers.add_parser("table", help="Delta tables: history, time travel, restore")
    sub = table.add_subparsers(dest="table_command", required=True)
    history = sub.add_parser("history", help="the table's commits, newest first")
    history.add_argument("table", type=table_ref, help="<zone>.<table>, e.g. processed.orders")
    history.add_argument("--limit", type=positive_int, default=20)
    history.set_defaults(func=_history)
    show = sub.add_parser("show", help="rows of the table, now or as of a version or time")
    show.add_argument("table", type=table_ref)
    show.add_argument("--as-of", dest="as_of", type=version_or_time, default=None,
                      help="a version number or an ISO-8601 time (UTC if no offset)")
    show.add_argument("--limit", type=non_negative_int, default=20,
                      help="rows to print (0: only the count)")
    show.add_argument("--columns", type=column_list, default=None,
                      help="comma-separated column names")
    show.set_defaults(func=_show)
    restore = sub.add_parser("restore", help="roll the table back to an earlier version")
    restore.add_argument("table", type=table_ref)
    restore.add_argument("--to", required=True, type=version_or_time,
                         help="a version number or an ISO-8601 time")
    restore.add_argument("--reason", required=True, help="why: kept in _audit/restores")
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.set_defaults(func=_restore)
    reapply = sub.add_parser("reapply", help="apply again the raw files a restore rolled back")
    reapply.add_argument("table", help="processed.<table>")
    reapply.add_argument("--reason", required=True, help="why: kept in the applied-file log")
    reapply.set_defaults(func=_reapply)


def _serve(args) -> None:
    from platform_assets.sharing import serve

    serve(args.host, args.port)


def add_sharing_commands(subparsers: argparse._SubParsersAction) -> None:
    sharing = subparsers.add_parser("sharing", help="the Delta Sharing server")
    sub = sharing.add_subparsers(dest="sharing_command", required=True)
    serve = sub.add_parser("serve", help="serve the declared shares (tokens from "
                                         "PLATFORM_SHARING_TOKENS or PLATFORM_SHARING_TOKENS_FILE)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=port, default=8090)
    serve.set_defaults(func=_serve)
