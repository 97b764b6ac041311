"""`lakehouse docs serve`: the dbt docs site for analysts (what `make docs` serves)."""

from __future__ import annotations

import click

from platform_assets.cli.commands import Group
from platform_assets.cli.environment import DBT_PROD
from platform_assets.cli.values import PORT
from platform_assets.variables import declared


@click.group(cls=Group)
def docs() -> None:
    """The dbt docs site."""


@docs.command(environment=("PLATFORM_HOME", "PLATFORM_DOCS_PORT", *DBT_PROD))
@click.option("--host", default="127.0.0.1", help="The address to listen on.")
@click.option(
    "--port",
    type=PORT,
    envvar="PLATFORM_DOCS_PORT",
    default=declared("PLATFORM_DOCS_PORT").default,
    help="The port to listen on; PLATFORM_DOCS_PORT when set.",
)
@click.option(
    "--target",
    type=click.Choice(["local", "prod"]),
    default="local",
    help="The dbt target the docs describe (prod: Snowflake, from SNOWFLAKE_*).",
)
def serve(host: str, port: int, target: str) -> None:
    """Generate the dbt docs, then serve them until interrupted."""
    from platform_assets.warehouse.docs import serve_docs

    serve_docs(port=port, host=host, target=target)
