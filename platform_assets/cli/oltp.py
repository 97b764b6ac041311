"""`lakehouse oltp ...`: the shop's Postgres (embedded under the platform home, or
PLATFORM_OLTP_DSN)."""

from __future__ import annotations

import click

from platform_assets.cli.commands import Group
from platform_assets.cli.environment import OLTP
from platform_assets.cli.values import COUNT, RATE, SEED


def _dsn() -> str:
    """The shop's DSN; starts the embedded server when PLATFORM_OLTP_DSN is not set."""
    from platform_assets.resources import OltpResource
    from platform_assets.settings import locations
    from platform_assets.variables import value

    return OltpResource(
        data_dir=str(locations().oltp_data_dir), dsn=value("PLATFORM_OLTP_DSN")
    ).resolved_dsn()


@click.group(cls=Group)
def oltp() -> None:
    """The shop's Postgres: start, stop, seed, simulate a workload."""


@oltp.command(environment=OLTP)
def start() -> None:
    """Start the embedded Postgres (unless PLATFORM_OLTP_DSN is set) and print its DSN."""
    print(_dsn())


@oltp.command(environment=("PLATFORM_HOME",))
def stop() -> None:
    """Stop the embedded Postgres."""
    from platform_assets.settings import locations
    from platform_assets.sources.oltp.server import stop_embedded

    print("stopped" if stop_embedded(locations().oltp_data_dir) else "not running")


@oltp.command(environment=OLTP)
@click.option("--orders", type=COUNT, default=100_000, help="How many orders to create.")
@click.option("--seed", type=SEED, default=42, help="Random seed (the same seed, the same shop).")
@click.option("--reset", is_flag=True, help="Empty the shop's tables first.")
def seed(orders: int, seed: int, reset: bool) -> None:
    """Fill the shop with a reproducible set of customers, products and orders."""
    import psycopg

    from platform_assets.sources.oltp.seed import seed as seed_shop

    with psycopg.connect(_dsn()) as conn:
        print(seed_shop(conn, orders=orders, seed=seed, reset=reset))


@oltp.command(environment=OLTP)
@click.option("--transactions", type=COUNT, default=1000, help="How many transactions to run.")
@click.option(
    "--rate", type=RATE, default=None, help="Transactions per second (default: as fast as possible)."
)
@click.option("--seed", type=SEED, default=42, help="Random seed of the workload.")
def simulate(transactions: int, rate: float | None, seed: int) -> None:
    """Run a workload of inserts, updates and deletes against the shop."""
    import psycopg

    from platform_assets.sources.oltp.workload import run_workload

    with psycopg.connect(_dsn()) as conn:
        stats = run_workload(conn, transactions, rate=rate, seed=seed)
    print(f"{stats.transactions} transactions: {stats.by_kind}")
