"""Provisioning the Snowflake side (database, schemas, file format, stages) against a fakesnow
server: a first run creates, a second finds everything, a moved lake replaces the stages."""

from __future__ import annotations

import pytest

from platform_assets.provision import ProvisionSettings, further_provisioners
from platform_assets.provision.snowflake import dbt_schemas, provision_snowflake

pytestmark = pytest.mark.slow  # a fakesnow server and ~30 statements


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
        "PLATFORM_LAKE_URI": "s3://lake/zones",
        "SNOWFLAKE_LOGIN_TIMEOUT_S": "10",
        "SNOWFLAKE_NETWORK_TIMEOUT_S": "10",
    }.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("PLATFORM_WAREHOUSE_STAGE_URL", raising=False)
    return ProvisionSettings("s3://lake/zones", "t", "s", 1, "p_", aws=None)  # type: ignore[arg-type]


def test_snowflake_is_provisioned_once_and_follows_the_lake(snowflake_env, monkeypatch):
    assert provision_snowflake in further_provisioners()
    first = provision_snowflake(snowflake_env)
    schemas = {"curated", "events", "staging", "intermediate", "marts", "snapshots", "ANALYTICS"}
    assert set(dbt_schemas()) >= {"staging", "intermediate", "marts", "snapshots"}
    assert first.created == [
        "Snowflake database 'PROVISIONED'",
        *(f"Snowflake schema PROVISIONED.{s}" for s in ["curated", "events", *dbt_schemas()]),
        "Snowflake file format curated.lake_parquet",
        "Snowflake stage curated.lake_curated (s3://lake/zones/curated/)",
        "Snowflake stage events.lake_processed (s3://lake/zones/processed/)",
    ]
    assert {c.rsplit(".", 1)[-1] for c in first.created if " schema " in c} == schemas

    again = provision_snowflake(snowflake_env)
    assert again.created == again.updated == [] and len(again.found) == len(first.created)

    monkeypatch.setenv("PLATFORM_WAREHOUSE_STAGE_URL", "s3://moved/zones")
    moved = provision_snowflake(snowflake_env)
    assert moved.created == [] and moved.updated == [
        "Snowflake stage curated.lake_curated (s3://moved/zones/curated/)",
        "Snowflake stage events.lake_processed (s3://moved/zones/processed/)",
    ]
