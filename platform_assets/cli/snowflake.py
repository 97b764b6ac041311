"""`lakehouse snowflake apply [--dry-run]` and `status`: Snowflake's objects as code
(warehouse/snowflake_objects: versioned and repeatable SQL migrations with a history table)."""

from __future__ import annotations

import click

from platform_assets.cli.commands import Group
from platform_assets.cli.environment import DBT_PROD, union

# the connection (the loader's), and what the migrations are rendered from
MIGRATIONS = union(
    DBT_PROD,
    (
        "SNOWFLAKE_ADMIN_ROLE",
        "SNOWFLAKE_LOADER_ROLE",
        "SNOWFLAKE_ANALYST_ROLE",
        "SNOWFLAKE_ML_ROLE",
        "SNOWFLAKE_SHARING_ROLE",
        "SNOWFLAKE_PII_READER_ROLE",
        "SNOWFLAKE_MONTHLY_CREDIT_QUOTA",
        "SNOWFLAKE_ALLOWED_IPS",
        "SNOWFLAKE_STORAGE_INTEGRATION",
        "SNOWFLAKE_STORAGE_AWS_ROLE_ARN",
        "PLATFORM_WAREHOUSE_STAGE_URL",
        "PLATFORM_LAKE_URI",
        "SNOWFLAKE_LOGIN_TIMEOUT_S",
        "SNOWFLAKE_NETWORK_TIMEOUT_S",
        "SNOWFLAKE_SOCKET_TIMEOUT_S",
    ),
)


@click.group(cls=Group)
def snowflake() -> None:
    """Snowflake's database, schemas, warehouses, roles, grants, stages and policies as code."""


@snowflake.command(environment=MIGRATIONS)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print the pending statements in order and change nothing.",
)
def apply(dry_run: bool) -> None:
    """Apply the pending migrations (new ones, and repeatable ones that render differently)."""
    from platform_assets.warehouse.snowflake_objects.run import apply_migrations

    outcome = apply_migrations(dry_run=dry_run, progress=print)
    if dry_run:
        print(outcome.plan.render())
    elif not outcome.applied:
        print(f"nothing to apply: {len(outcome.plan.up_to_date)} migrations applied and unchanged")


@snowflake.command(environment=MIGRATIONS)
def status() -> None:
    """Each migration: applied and unchanged, new, or changed (to re-apply)."""
    from platform_assets.warehouse.snowflake_objects.run import apply_migrations

    the_plan = apply_migrations(dry_run=True).plan
    for script in the_plan.up_to_date:
        print(f"{script:<40} applied")
    for step in the_plan.steps:
        print(f"{step.script:<40} {'pending' if step.reason == 'new' else 'changed: re-applied next'}")
