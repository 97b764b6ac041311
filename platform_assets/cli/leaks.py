"""`lakehouse leak-scan`: look for secrets and PII in what the platform recorded
(observability/leak_scan.py); exit 1 when something is found. `make demo` runs it on the demo's
runs and console output."""

from __future__ import annotations

from pathlib import Path

import click

from platform_assets.cli.commands import Command
from platform_assets.cli.environment import DAGSTER, OLTP, union
from platform_assets.variables import VARIABLES

SECRETS = tuple(v.name for v in VARIABLES if v.secret)


@click.command("leak-scan", cls=Command, environment=union(OLTP, DAGSTER, SECRETS))
@click.option(
    "--log",
    "logs",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A text file to scan too (a run's console output); repeatable.",
)
@click.option("--no-source", is_flag=True, help="Do not sample PII from the source database.")
def leak_scan(logs: tuple[Path, ...], no_source: bool) -> int:
    """Scan the Dagster instance's runs (events, metadata, tags, compute logs) and the given
    files for the configured secrets and for PII values sampled from Postgres."""
    import itertools

    from platform_assets.cli.status import _instance
    from platform_assets.errors import PlatformError
    from platform_assets.observability.leak_scan import (
        configured_secrets,
        file_texts,
        instance_texts,
        pii_values,
        scan,
    )
    from platform_assets.settings import locations

    needles = configured_secrets(locations().home)
    if not no_source:
        import psycopg

        from platform_assets.cli.resources import initialized

        with psycopg.connect(initialized("oltp")["oltp"].resolved_dsn(), connect_timeout=5) as conn:
            needles += pii_values(conn)
    instance = _instance()
    if instance is None and not logs:
        raise PlatformError("nothing to scan: no Dagster instance (set DAGSTER_HOME) and no --log")
    texts = file_texts(logs)
    if instance is not None:
        with instance:
            report = scan(itertools.chain(instance_texts(instance), texts), needles)
    else:
        report = scan(texts, needles)
    print(report.summary())
    return 0 if report.clean else 1
