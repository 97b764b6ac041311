"""`lakehouse status`: each zone's health, one line per table and check (observability/health.py).

Exit code 0 when nothing fails (warnings included), 1 when something does, so a cron job or a
load balancer's health check can use it.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from platform_assets.cli.commands import Command
from platform_assets.cli.environment import DAGSTER, LAKE, OLTP, union
from platform_assets.cli.output import format_rows


def _instance():
    """The Dagster instance the UI and daemon use: DAGSTER_HOME's, or, as `dagster dev` does
    without it, the dagster.yaml of the working directory; None when there is neither."""
    from dagster import DagsterInstance

    if os.environ.get("DAGSTER_HOME"):
        return DagsterInstance.get()
    if (Path.cwd() / "dagster.yaml").exists():
        return DagsterInstance.from_config(str(Path.cwd()))
    return None


def _dagster_health() -> list:
    from platform_assets.observability.health import UNKNOWN, Health, dagster_health

    instance = _instance()
    if instance is None:
        return [Health("dagster", "instance", UNKNOWN, "no instance: set DAGSTER_HOME (the Makefile does)")]
    from platform_assets.definitions import defs

    with instance:
        return dagster_health(instance, defs.resolve_asset_graph())


def _slot_health(slot: str):
    import psycopg

    from platform_assets.cli.resources import initialized
    from platform_assets.observability.health import UNKNOWN, Health, slot_health

    try:
        dsn = initialized("oltp")["oltp"].resolved_dsn()
        with psycopg.connect(dsn, connect_timeout=5) as conn:
            return slot_health(conn, slot)
    except (psycopg.Error, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        why = f"Postgres not reachable ({first}): start it with lakehouse oltp start"
        return Health("source", slot, UNKNOWN, why)


@click.command(cls=Command, environment=union(LAKE, OLTP, DAGSTER))
@click.option("--slot", default=None, help="The replication slot to check (default: the local capture's).")
@click.option("--no-source", is_flag=True, help="Do not connect to the source database.")
def status(slot: str | None, no_source: bool) -> int:
    """Each zone's health: waiting and quarantined files, lag behind the source, the last
    materializations, failing checks, the replication slot's retained WAL."""
    from platform_assets.cli.resources import lake
    from platform_assets.contracts import CONTRACTS
    from platform_assets.observability.health import FAIL, lake_health, worst
    from platform_assets.raw.assets import SLOT

    found = lake_health(lake(), CONTRACTS) + _dagster_health()
    if not no_source:
        found.append(_slot_health(slot or SLOT))
    rows = [{"zone": h.zone, "subject": h.subject, "state": h.state, "detail": h.detail} for h in found]
    print(format_rows(rows, ["zone", "subject", "state", "detail"], wrap_last=True))
    overall = worst(found)
    print(f"\noverall: {overall}")
    return 1 if overall == FAIL else 0
