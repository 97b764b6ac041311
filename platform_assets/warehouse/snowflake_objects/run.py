"""Apply the migrations to the Snowflake of the settings: connect (the loader's connection,
as SNOWFLAKE_ADMIN_ROLE when set), render for the account, plan against the history, apply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from platform_assets.errors import PlatformError
from platform_assets.variables import value
from platform_assets.warehouse.emulator import emulator
from platform_assets.warehouse.snowflake_objects.account import account
from platform_assets.warehouse.snowflake_objects.apply import Plan, Step, apply, plan, read_history
from platform_assets.warehouse.snowflake_objects.migrations import render


@dataclass(frozen=True)
class Outcome:
    plan: Plan
    applied: list[Step]  # empty for a dry run


def apply_migrations(dry_run: bool = False, progress: Callable[[str], None] = lambda line: None) -> Outcome:
    """The plan, and (unless `dry_run`) its application. Connection errors name the account."""
    import snowflake.connector.errors as sf

    from platform_assets.warehouse.resources import snowflake_resource

    the_account = account()
    migrations = render(the_account)
    admin = value("SNOWFLAKE_ADMIN_ROLE")
    resource = snowflake_resource(with_database=False, role=admin).process_config_and_initialize()
    try:
        with resource.get_connection() as con:
            cursor = con.cursor()
            the_plan = plan(
                migrations, read_history(cursor, the_account.database), the_account.database, emulator()
            )
            if dry_run:
                return Outcome(the_plan, [])
            who = f"{value('SNOWFLAKE_USER') or '?'} as {admin or resource.role or '?'}"
            return Outcome(the_plan, apply(cursor, the_plan, who, progress))
    except sf.Error as exc:
        raise PlatformError(f"Snowflake account {resource.account}: {exc}") from exc
