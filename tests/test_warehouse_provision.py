"""Provisioning the Snowflake side against a fakesnow server: it applies the Snowflake
migrations (warehouse/snowflake_objects), so a first run creates, a second finds everything,
and a moved lake re-applies the stages."""

from __future__ import annotations

import pytest

from platform_assets.provision import ProvisionSettings, further_provisioners
from platform_assets.provision.snowflake import provision_snowflake
from platform_assets.warehouse.snowflake_objects.migrations import migration_files

pytestmark = pytest.mark.slow  # a fakesnow server and ~60 statements


@pytest.fixture
def snowflake_env(fakesnow_server, monkeypatch):
    s = fakesnow_server
    for k, v in {
        "SNOWFLAKE_ACCOUNT": s["account"],
        "SNOWFLAKE_USER": s["user"],
        "SNOWFLAKE_PASSWORD": s["password"],
        "SNOWFLAKE_DATABASE": "PROVISIONED",
        "SNOWFLAKE_WAREHOUSE": "TRANSFORMING",
        "SNOWFLAKE_ROLE": "SYSADMIN",
        "SNOWFLAKE_HOST": s["host"],
        "SNOWFLAKE_PORT": str(s["port"]),
        "SNOWFLAKE_PROTOCOL": s["protocol"],
        "SNOWFLAKE_ALLOWED_IPS": "127.0.0.1/32",
        "PLATFORM_WAREHOUSE_EMULATOR": "fakesnow",
        "PLATFORM_LAKE_URI": "s3://lake/zones",
        "SNOWFLAKE_LOGIN_TIMEOUT_S": "10",
        "SNOWFLAKE_NETWORK_TIMEOUT_S": "10",
    }.items():
        monkeypatch.setenv(k, v)
    for k in ("PLATFORM_WAREHOUSE_STAGE_URL", "SNOWFLAKE_STORAGE_INTEGRATION", "SNOWFLAKE_ADMIN_ROLE"):
        monkeypatch.delenv(k, raising=False)
    return ProvisionSettings("s3://lake/zones", "t", "s", 1, "p_", aws=None)  # type: ignore[arg-type]


def _scripts(lines: list[str]) -> list[str]:
    return [line.split()[2] for line in lines]


def test_snowflake_is_provisioned_once_and_follows_the_lake(snowflake_env, monkeypatch):
    assert provision_snowflake in further_provisioners()
    files = [p.name for p in migration_files()]
    first = provision_snowflake(snowflake_env)
    assert _scripts(first.created) == files and first.updated == first.found == []

    again = provision_snowflake(snowflake_env)
    assert again.created == again.updated == [] and _scripts(again.found) == files

    monkeypatch.setenv("PLATFORM_WAREHOUSE_STAGE_URL", "s3://moved/zones")
    moved = provision_snowflake(snowflake_env)
    assert moved.created == [] and _scripts(moved.updated) == ["R020__file_formats_and_stages.sql"]
