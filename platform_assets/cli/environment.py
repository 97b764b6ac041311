"""Which environment variables each command reads, by name; what they mean is in variables.py.

A command lists these names (`environment=` of its decorator) and its `--help` prints them
with their meaning and default from `platform_assets.variables` (never a value: secrets stay
out of the help). A name not declared there fails when the command line is built.

The lists follow what the commands reach: the profile's lake (`profile.resources_for`, with
the AWS settings in `prod`), the shop's Postgres, the metadata store, the event stream.
"""

from __future__ import annotations

from collections.abc import Iterable

from platform_assets.variables import declared

PROFILE = ("PLATFORM_ENV", "PLATFORM_HOME")
AWS = (
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "PLATFORM_AWS_CONNECT_TIMEOUT_S",
    "PLATFORM_AWS_READ_TIMEOUT_S",
    "PLATFORM_AWS_MAX_ATTEMPTS",
)
LAKE = (*PROFILE, "PLATFORM_LAKE_URI", *AWS)
OLTP = ("PLATFORM_HOME", "PLATFORM_OLTP_DSN")  # the embedded server lives under the home
METADATA = (*PROFILE, "PLATFORM_METADATA_TABLE", *AWS)
EVENTS = (*LAKE, "PLATFORM_EVENTS_STREAM", "PLATFORM_METADATA_TABLE")
DAGSTER = ("DAGSTER_HOME",)
SHARING = (
    "PLATFORM_SHARING_TOKENS",
    "PLATFORM_SHARING_TOKENS_FILE",
    "PLATFORM_SHARING_SECRET",
    "PLATFORM_SHARING_PUBLIC_URL",
)
# dbt_project/profiles.yml's target prod (Snowflake)
DBT_PROD = (
    "SNOWFLAKE_ACCOUNT",
    "SNOWFLAKE_USER",
    "SNOWFLAKE_PASSWORD",
    "SNOWFLAKE_ROLE",
    "SNOWFLAKE_DATABASE",
    "SNOWFLAKE_WAREHOUSE",
    "SNOWFLAKE_SCHEMA",
    "SNOWFLAKE_HOST",
    "SNOWFLAKE_PORT",
    "SNOWFLAKE_PROTOCOL",
    "PLATFORM_WAREHOUSE_EMULATOR",
)


def union(*lists: Iterable[str]) -> tuple[str, ...]:
    """The names of several lists, each once, in first-seen order."""
    return tuple(dict.fromkeys(name for names in lists for name in names))


def help_rows(names: Iterable[str]) -> list[tuple[str, str]]:
    """(name, meaning with default and whether it is secret) for a help section."""
    rows = []
    for name in names:
        var = declared(name)  # a PlatformError naming an undeclared variable
        notes = [
            "required in prod" if var.required else f"default {var.default}" if var.default else "",
            "secret" if var.secret else "",
        ]
        rows.append((name, "; ".join([var.meaning, *filter(None, notes)])))
    return rows
