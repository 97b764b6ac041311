"""`lakehouse serve model`: the churn model's real-time endpoint over HTTP JSON."""

from __future__ import annotations

import click

from platform_assets.cli.commands import Group
from platform_assets.cli.environment import LAKE, union
from platform_assets.cli.values import PORT


@click.group(cls=Group)
def serve() -> None:
    """Model endpoints."""


@serve.command(environment=union(LAKE, ("PLATFORM_MLFLOW_TRACKING_URI", "PLATFORM_ML_SERVE_TOKEN")))
@click.option("--host", default="127.0.0.1", help="The address to listen on.")
@click.option("--port", type=PORT, default=8091, help="The port to listen on.")
def model(host: str, port: int) -> None:
    """Serve the champion churn model: POST /predict with a bearer token."""
    from platform_assets.ml.serve import serve as run_server

    run_server(host, port)
