"""`lakehouse demo`: the whole platform once, with a summary (what `make demo` runs)."""

from __future__ import annotations

import click

from platform_assets.cli.commands import Command
from platform_assets.cli.environment import DAGSTER, OLTP, PROFILE, union
from platform_assets.cli.values import COUNT


@click.command(cls=Command, environment=union(PROFILE, OLTP, DAGSTER))
@click.option("--orders", type=COUNT, default=100_000, help="How many orders to seed.")
def demo(orders: int) -> None:
    """Seed the shop, run the whole pipeline once and print the row counts of every zone."""
    from platform_assets.demo import demo as run_demo

    print(run_demo(orders))
