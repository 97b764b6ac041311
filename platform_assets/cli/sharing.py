"""`lakehouse sharing serve`: the Delta Sharing server over the profile's lake."""

from __future__ import annotations

import click

from platform_assets.cli.commands import Group
from platform_assets.cli.environment import LAKE, SHARING, union
from platform_assets.cli.values import PORT


@click.group(cls=Group)
def sharing() -> None:
    """The Delta Sharing server."""


@sharing.command(environment=union(LAKE, SHARING))
@click.option("--host", default="127.0.0.1", help="The address to listen on.")
@click.option("--port", type=PORT, default=8090, help="The port to listen on.")
def serve(host: str, port: int) -> None:
    """Serve the declared shares to recipients holding a token."""
    from platform_assets.sharing import serve as run_server

    run_server(host, port)
