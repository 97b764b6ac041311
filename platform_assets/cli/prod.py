"""`lakehouse prod up|down|status`: bring `prod` up on local protocol servers (the trial on one
machine) or on a real account, and stop what the trial started (provision/trial.py)."""

from __future__ import annotations

import click

from platform_assets.cli.commands import Group
from platform_assets.cli.environment import (
    DAGSTER,
    DBT_PROD,
    EVENTS,
    LAKE,
    METADATA,
    OLTP,
    union,
)
from platform_assets.cli.values import COUNT

# what provisioning, the full load and a prod run of the whole graph read
UP = union(
    LAKE,
    OLTP,
    METADATA,
    EVENTS,
    DAGSTER,
    DBT_PROD,
    (
        "PLATFORM_EVENTS_SHARDS",
        "PLATFORM_GLUE_DATABASE_PREFIX",
        "PLATFORM_PII_HASH_KEY",
        "SNOWFLAKE_LOADER_ROLE",
        "SNOWFLAKE_ADMIN_ROLE",
        "SNOWFLAKE_ALLOWED_IPS",
        "SNOWFLAKE_STORAGE_INTEGRATION",
        "SNOWFLAKE_STORAGE_AWS_ROLE_ARN",
        "SNOWFLAKE_LOGIN_TIMEOUT_S",
        "SNOWFLAKE_NETWORK_TIMEOUT_S",
        "SNOWFLAKE_SOCKET_TIMEOUT_S",
        "PLATFORM_WAREHOUSE_STAGE_URL",
        "PLATFORM_PROCESSED_ENGINE",
        "PLATFORM_METRICS_NAMESPACE",
    ),
)


@click.group(cls=Group)
def prod() -> None:
    """The `prod` profile on one machine (moto's and fakesnow's servers) or a real account."""


@prod.command(environment=UP)
@click.option(
    "--orders",
    type=COUNT,
    default=5_000,
    help="Orders to seed into an empty embedded Postgres (local servers only).",
)
@click.option(
    "--local-servers/--no-local-servers",
    default=None,
    help="Start moto's and fakesnow's servers and write .platform/prod-trial.env, or "
    "use the environment's endpoints and credentials as they are (a real "
    "account). Default: local servers unless PLATFORM_LAKE_URI names another "
    "lake than the trial's.",
)
def up(orders: int, local_servers: bool | None) -> None:
    """Provision what prod needs, take the first full load, run the whole graph in prod.

    Idempotent: a second run starts, creates and loads nothing and changes no row."""
    from platform_assets.provision.trial import up as bring_up

    bring_up(orders=orders, local_servers=local_servers, progress=print)


@prod.command(environment=("PLATFORM_HOME",))
def down() -> None:
    """Stop the local servers `prod up` started (their data is in memory: the trial is gone)."""
    from platform_assets.provision.trial import down as take_down

    print("\n".join(take_down()))


@prod.command(environment=("PLATFORM_HOME",))
def status() -> None:
    """Show whether the trial's servers run, where, and its environment file."""
    from platform_assets.provision.trial import status as trial_status

    print("\n".join(trial_status()))
