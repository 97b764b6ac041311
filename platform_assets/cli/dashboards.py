"""`lakehouse dashboards ...`: the business dashboards.

lakehouse dashboards serve [--host] [--port N]   the built pages, behind sign-in, per audience
lakehouse dashboards quicksight                  prod: QuickSight's data source, data sets,
                                                 groups and dashboards from the registry
"""

from __future__ import annotations

import click

from platform_assets.cli.commands import Group
from platform_assets.cli.environment import AWS, DBT_PROD, LAKE, union
from platform_assets.cli.resources import initialized
from platform_assets.cli.values import PORT
from platform_assets.variables import declared

USERS = ("PLATFORM_DASHBOARD_USERS", "PLATFORM_DASHBOARD_USERS_FILE")
QUICKSIGHT = ("PLATFORM_QUICKSIGHT_ACCOUNT_ID", "PLATFORM_QUICKSIGHT_NAMESPACE", "PLATFORM_QUICKSIGHT_PREFIX")


@click.group(cls=Group)
def dashboards() -> None:
    """The business dashboards (revenue, funnel, retention, products, CLV, model monitoring)."""


@dashboards.command(environment=union(LAKE, USERS, ("PLATFORM_DASHBOARDS_PORT",)))
@click.option("--host", default="127.0.0.1", help="The address to listen on.")
@click.option(
    "--port",
    type=PORT,
    envvar="PLATFORM_DASHBOARDS_PORT",
    default=declared("PLATFORM_DASHBOARDS_PORT").default,
    help="The port to listen on; PLATFORM_DASHBOARDS_PORT when set.",
)
def serve(host: str, port: int) -> None:
    """Serve the built dashboards; each user sees the dashboards of their groups."""
    from platform_assets.dashboards.access import load_users
    from platform_assets.dashboards.server import serve as run_server
    from platform_assets.settings import locations

    users = load_users(locations().home)
    run_server(initialized("dashboard_site")["dashboard_site"], users, host, port)


@dashboards.command(environment=union(AWS, DBT_PROD, QUICKSIGHT))
def quicksight() -> None:
    """Create or update QuickSight's Snowflake data source, data sets, audience groups and
    dashboards from the registry (idempotent; prints what it created, updated or found)."""
    from platform_assets.aws import AwsResource, aws_settings
    from platform_assets.dashboards.quicksight import publish, settings_from_variables

    aws = AwsResource(**aws_settings()).process_config_and_initialize()
    account = aws.client("sts").get_caller_identity()["Account"]
    settings = settings_from_variables(account, aws.region_name or "us-east-1")
    with initialized("marts_reader")["marts_reader"].session() as session:
        report = publish(aws.client("quicksight"), settings, session)
    for line in report.lines():
        print(line)
