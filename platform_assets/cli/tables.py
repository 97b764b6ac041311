"""`lakehouse table ...`: a Delta table's history, time travel, guarded restore and reapply.

lakehouse table history processed.orders [--limit 20]
lakehouse table show curated.products [--as-of 12 | --as-of 2026-11-27T08:00:00Z] [--limit 20]
lakehouse table restore processed.orders --to 12 --reason "bad batch at 08:00" [--yes]
lakehouse table reapply processed.orders --reason "the batch was fine"
"""

from __future__ import annotations

import sys

import click

from platform_assets.cli.commands import Group
from platform_assets.cli.environment import DAGSTER, LAKE, union
from platform_assets.cli.output import format_rows
from platform_assets.cli.resources import lake
from platform_assets.cli.values import COLUMNS, COUNT, LIMIT, TABLE, VERSION_OR_TIME
from platform_assets.errors import PlatformError

TABLE_HELP = "The table as <zone>.<table>, e.g. processed.orders."


@click.group(cls=Group)
def table() -> None:
    """Delta tables: history, time travel, restore."""


@table.command(environment=LAKE)
@click.argument("ref", metavar="TABLE", type=TABLE, help=TABLE_HELP)
@click.option("--limit", type=COUNT, default=20, help="How many commits to print.")
def history(ref, limit: int) -> None:
    """The table's commits, newest first."""
    from platform_assets.tables import table_history

    commits = table_history(lake(), ref, limit)
    rows = [
        {
            "version": c.version,
            "timestamp": c.timestamp.isoformat(timespec="seconds") if c.timestamp else "",
            "operation": c.operation,
            "details": ", ".join(
                f"{k}={v}" for k, v in {**c.custom, **c.metrics}.items() if not isinstance(v, dict | list)
            ),
        }
        for c in commits
    ]
    print(format_rows(rows, ["version", "timestamp", "operation", "details"], wrap_last=True))


def _known_columns(ref, dt, columns: list[str] | None) -> list[str] | None:
    """`columns` if the table (at the version read) has them all; a PlatformError otherwise."""
    if columns is None:
        return None
    names = dt.schema().to_arrow().names
    if unknown := [c for c in columns if c not in names]:
        raise PlatformError(
            f"{ref} has no column {', '.join(map(repr, unknown))} at version "
            f"{dt.version()}; its columns: {', '.join(names)}"
        )
    return columns


@table.command(environment=LAKE)
@click.argument("ref", metavar="TABLE", type=TABLE, help=TABLE_HELP)
@click.option(
    "--as-of",
    "as_of",
    type=VERSION_OR_TIME,
    default=None,
    help="A version number or an ISO-8601 time (UTC if no offset); default: now.",
)
@click.option("--limit", type=LIMIT, default=20, help="Rows to print (0: only the count).")
@click.option("--columns", type=COLUMNS, default=None, help="Comma-separated column names (default: all).")
def show(ref, as_of, limit: int, columns: list[str] | None) -> None:
    """Rows of the table, now or as of a version or time."""
    from platform_assets.tables import open_as_of

    dt = open_as_of(lake(), ref, as_of)
    columns = _known_columns(ref, dt, columns)
    rows = dt.to_pyarrow_dataset().head(limit, columns=columns)
    print(
        f"{ref} at version {dt.version()} ({dt.to_pyarrow_dataset().count_rows()} rows;"
        f" first {rows.num_rows} shown)"
    )
    print(format_rows(rows.to_pylist(), rows.schema.names))


@table.command(environment=union(LAKE, DAGSTER))
@click.argument("ref", metavar="TABLE", type=TABLE, help=TABLE_HELP)
@click.option(
    "--to",
    "to",
    required=True,
    type=VERSION_OR_TIME,
    help="The version number or ISO-8601 time to roll back to.",
)
@click.option("--reason", required=True, help="Why: kept in _audit/restores.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (needed when not interactive).")
def restore(ref, to, reason: str, yes: bool) -> None:
    """Roll the table back to an earlier version (recorded, and an event on its Dagster asset)."""
    from platform_assets.tables import open_as_of, restore_table
    from platform_assets.tables.audit import who_am_i
    from platform_assets.tables.restore_events import report_restore

    the_lake = lake()
    current = open_as_of(the_lake, ref).version()
    target = open_as_of(the_lake, ref, to).version()
    print(f"restore {ref} from version {current} to the state of version {target}")
    if ref.zone == "processed":
        print(
            "  raw files applied after it are held (not re-applied) until `lakehouse table "
            "reapply`; the curated table is rebuilt"
        )
    if not yes:
        if not sys.stdin.isatty():
            raise PlatformError("restoring needs confirmation: add --yes when not interactive")
        if input("type the table name to confirm: ").strip() != str(ref):
            raise PlatformError("not confirmed; nothing was restored")
    r = restore_table(the_lake, ref, target, who=who_am_i(), why=reason)
    print(
        f"restored: {ref} is now version {r.new_version} (= version {r.to_version}); "
        f"recorded in _audit/restores for {r.who}"
    )
    if report_restore(the_lake, r):
        print("  recorded on the Dagster asset as a materialization")
    else:
        print(
            "  warning: DAGSTER_HOME is not set, so the Dagster asset has no event of this restore",
            file=sys.stderr,
        )


@table.command(environment=LAKE)
@click.argument("ref", metavar="TABLE", type=TABLE, help="processed.<table>, e.g. processed.orders.")
@click.option("--reason", required=True, help="Why: kept in the applied-file log.")
def reapply(ref, reason: str) -> None:
    """Apply again the raw files a restore rolled back (at the next apply of the table)."""
    from platform_assets.tables.audit import who_am_i
    from platform_assets.tables.reapply import reapply as queue_again

    held = queue_again(lake(), ref, who=who_am_i(), why=reason)
    print(
        f"{ref}: {len(held)} rolled-back raw files queued again; the next apply of "
        f"{'/'.join(ref.key_path)} applies them"
        if held
        else f"{ref}: nothing rolled back"
    )
