"""`lakehouse`: the command line of the platform.

    lakehouse oltp start|stop|seed|simulate          the shop's Postgres
    lakehouse cdc capture [--continuous]             CDC from the pgoutput slot into the raw zone
    lakehouse cdc full-load [--no-slot]              a first full load into the raw zone
    lakehouse cdc resync                             after a lost slot: a new slot, every table reloaded
    lakehouse demo                                   the whole platform once, with a summary
    lakehouse table history|show|restore|reapply     Delta time travel and guarded rollback
    lakehouse quarantine list|show|requeue           raw files the apply could not read
    lakehouse sharing serve [--host] [--port]        the Delta Sharing server
    lakehouse docs serve [--host] [--port]           the dbt docs site
    lakehouse events produce|consume|ingest          the clickstream
    lakehouse metadata publish|show                  contracts in the metadata store
    lakehouse prod up|down|status                    prod on local protocol servers, or a real account
    lakehouse status [--no-source] [--slot NAME]     each zone's health; exit 1 when something fails
    lakehouse leak-scan [--log FILE] [--no-source]   secrets and PII in what the runs recorded
    lakehouse snowflake apply [--dry-run]|status     Snowflake's objects as code (migrations)
    lakehouse dashboards serve|quicksight            the business dashboards, and QuickSight in prod
    lakehouse serve model [--host] [--port]          the churn model's endpoint (bearer token)
    lakehouse stream [--seconds N] [--submit]        CDC batches to the facts in one long-lived run

One module per group (click); each command is one function. `lakehouse GROUP --help` lists
the environment variables its commands read (environment.py, from variables.py).

Errors, in one place (`main`): a bad argument is `<command>: error: argument --flag: ...`
under the usage line, exit 2; a PlatformError while running is one `error: ...` line, exit 1;
never a traceback for either.
"""

from __future__ import annotations

import sys

import click

from platform_assets.cli.cdc import cdc
from platform_assets.cli.commands import Group
from platform_assets.cli.dashboards import dashboards
from platform_assets.cli.demo import demo
from platform_assets.cli.docs import docs
from platform_assets.cli.events import events
from platform_assets.cli.leaks import leak_scan
from platform_assets.cli.metadata import metadata
from platform_assets.cli.oltp import oltp
from platform_assets.cli.prod import prod
from platform_assets.cli.quarantine import quarantine
from platform_assets.cli.serve import serve
from platform_assets.cli.sharing import sharing
from platform_assets.cli.snowflake import snowflake
from platform_assets.cli.status import status
from platform_assets.cli.stream import stream
from platform_assets.cli.tables import table
from platform_assets.errors import PlatformError


@click.group(
    cls=Group,
    list_environment=False,
    epilog="`lakehouse GROUP --help` lists the environment variables its commands read.",
)
def lakehouse() -> None:
    """The lakehouse platform's command line."""


for _command in (oltp, cdc, demo, table, quarantine, sharing, docs, events, metadata, prod, status):
    lakehouse.add_command(_command)
lakehouse.add_command(dashboards)
lakehouse.add_command(snowflake)
lakehouse.add_command(serve)
lakehouse.add_command(leak_scan)
lakehouse.add_command(stream)


def _flag(exc: click.BadParameter) -> str:
    """The flag (or argument) a bad value was given to, as the user typed it."""
    if exc.param_hint:
        return exc.param_hint if isinstance(exc.param_hint, str) else "/".join(exc.param_hint)
    if isinstance(exc.param, click.Argument):
        return exc.param.human_readable_name.lower()
    return exc.param.opts[0] if exc.param else "?"


def usage_error(exc: click.UsageError) -> str:
    """argparse's shape: the usage line, then `<command path>: error: argument --flag: ...`."""
    ctx = exc.ctx
    if isinstance(exc, click.MissingParameter):
        problem = f"argument {_flag(exc)}: is required"
    elif isinstance(exc, click.BadParameter):
        problem = f"argument {_flag(exc)}: {exc.message}"
    else:
        problem = exc.message
    usage = f"{ctx.get_usage()}\n" if ctx else ""
    return f"{usage}{ctx.command_path if ctx else 'lakehouse'}: error: {problem}"


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit code (0, 1 for a PlatformError, 2 for bad arguments)."""
    try:
        code = lakehouse.main(args=argv, prog_name="lakehouse", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:  # a group without its command
        print(exc.ctx.get_help(), file=sys.stderr)
        return 2
    except click.UsageError as exc:
        print(usage_error(exc), file=sys.stderr)
        return 2
    except click.Abort:  # Ctrl-C, or end of input at a prompt
        print("aborted", file=sys.stderr)
        return 130
    except PlatformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return code if isinstance(code, int) else 0
