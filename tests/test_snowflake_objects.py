"""Snowflake's objects as code: the migrations applied to a fakesnow server (what it can run)
and checked as rendered text (what it cannot: roles, grants, warehouses, integrations,
masking and network policies), the history that makes a second apply change nothing, and the
grants agreeing with dbt's."""

from __future__ import annotations

import json
import re

import pytest
import snowflake.connector

from platform_assets.cli import main
from platform_assets.contracts import CONTRACTS
from platform_assets.errors import PlatformError
from platform_assets.warehouse import project
from platform_assets.warehouse.snowflake_objects import migrations as migrations_module
from platform_assets.warehouse.snowflake_objects.account import HISTORY_TABLE, WAREHOUSES, account
from platform_assets.warehouse.snowflake_objects.apply import Applied, MigrationError, plan
from platform_assets.warehouse.snowflake_objects.migrations import migration_files, render
from platform_assets.warehouse.snowflake_objects.run import apply_migrations

DATABASE = "OBJECTS_AS_CODE"

SETTINGS = {
    "SNOWFLAKE_DATABASE": DATABASE,
    "SNOWFLAKE_WAREHOUSE": "LAKEHOUSE_TRANSFORMING_WH",
    "SNOWFLAKE_ROLE": "TRANSFORMER",
    "SNOWFLAKE_LOADER_ROLE": "LOADER",
    "SNOWFLAKE_USER": "LAKEHOUSE_SVC",
    "SNOWFLAKE_PASSWORD": "snow",
    "SNOWFLAKE_ALLOWED_IPS": "10.20.0.0/16, 52.1.2.3/32",
    "SNOWFLAKE_STORAGE_INTEGRATION": "lakehouse_s3",
    "SNOWFLAKE_STORAGE_AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/snowflake-lake-read",
    "PLATFORM_LAKE_URI": "s3://lake/zones",
}
UNSET = (
    "PLATFORM_WAREHOUSE_STAGE_URL",
    "SNOWFLAKE_ADMIN_ROLE",
    "SNOWFLAKE_ANALYST_ROLE",
    "SNOWFLAKE_ML_ROLE",
    "SNOWFLAKE_SHARING_ROLE",
    "SNOWFLAKE_PII_READER_ROLE",
    "SNOWFLAKE_SCHEMA",
    "PLATFORM_WAREHOUSE_EMULATOR",
)


@pytest.fixture
def settings(monkeypatch):
    for k, v in SETTINGS.items():
        monkeypatch.setenv(k, v)
    for k in UNSET:
        monkeypatch.delenv(k, raising=False)


@pytest.fixture
def on_fakesnow(settings, fakesnow_server, monkeypatch):
    s = fakesnow_server
    for k, v in {
        "SNOWFLAKE_ACCOUNT": s["account"],
        "SNOWFLAKE_HOST": s["host"],
        "SNOWFLAKE_PORT": str(s["port"]),
        "SNOWFLAKE_PROTOCOL": s["protocol"],
        "PLATFORM_WAREHOUSE_EMULATOR": "fakesnow",
        "SNOWFLAKE_LOGIN_TIMEOUT_S": "10",
        "SNOWFLAKE_NETWORK_TIMEOUT_S": "10",
    }.items():
        monkeypatch.setenv(k, v)
    con = snowflake.connector.connect(**{k: v for k, v in s.items()}, database=None)
    yield con.cursor()
    con.close()


def _names(cursor, sql: str) -> set[str]:
    cursor.execute(sql)
    column = [d[0].lower() for d in cursor.description].index("name")
    return {str(r[column]).lower() for r in cursor.fetchall()}


def _statements(kind_of: str) -> list[str]:
    """Every rendered statement of the migrations whose file name contains `kind_of`."""
    return [s for m in render(account()) if kind_of in m.script for s in m.statements]


def _flat(statement: str) -> str:
    return " ".join(statement.split())


@pytest.mark.slow  # ~130 statements through fakesnow's server, applied twice: 15-30 s
def test_apply_creates_what_fakesnow_runs_once_and_a_second_apply_changes_nothing(
    on_fakesnow, monkeypatch, capsys
):
    cur = on_fakesnow
    files = [p.name for p in migration_files()]
    assert main(["snowflake", "apply"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == files
    rendered_only = {line.split(":")[0] for line in out if "rendered only" in line}
    assert rendered_only == {
        "V002__roles.sql",
        "V003__warehouses.sql",
        "V005__pii_masking_policy.sql",
        "V006__network_policy.sql",
        "R015__storage_integration.sql",
        "R040__grants.sql",
    }

    # what fakesnow ran is there
    a = account()
    schemas = _names(cur, f"show schemas in database {DATABASE}")
    assert schemas >= {s.lower() for s in [*a.schemas, "platform_admin", "governance"]}
    assert "lake_parquet" in _names(cur, f"show file formats in schema {DATABASE}.curated")
    cur.execute(f"show stages in schema {DATABASE}.curated")
    stage = dict(zip([d[0].lower() for d in cur.description], cur.fetchone(), strict=False))
    assert (stage["name"].lower(), stage["url"].strip('[]"')) == ("lake_curated", "s3://lake/zones/curated/")
    tables = _names(cur, f"show tables in schema {DATABASE}.curated")
    assert tables >= set(CONTRACTS) | {"_loaded_files", "_loads"}
    cur.execute(f"select script, kind, executed from {DATABASE}.{HISTORY_TABLE} order by script")  # noqa: S608 -- the test's own constants
    history = cur.fetchall()
    assert [r[0] for r in history] == sorted(files)
    assert {r[0] for r in history if not r[2]} == rendered_only

    # a second apply: nothing pending, nothing run, no history row added
    assert main(["snowflake", "apply"]) == 0
    assert capsys.readouterr().out == f"nothing to apply: {len(files)} migrations applied and unchanged\n"
    assert main(["snowflake", "status"]) == 0
    assert capsys.readouterr().out.split() == [w for f in files for w in (f, "applied")]
    cur.execute(f"select count(*) from {DATABASE}.{HISTORY_TABLE}")  # noqa: S608 -- the test's own constants
    assert cur.fetchone()[0] == len(files)

    # the lake moves: the integration's locations and the stages render differently and are
    # re-applied (repeatable); nothing else runs
    monkeypatch.setenv("PLATFORM_WAREHOUSE_STAGE_URL", "s3://moved/zones")
    moved = apply_migrations()
    assert [(s.script, s.reason) for s in moved.applied] == [
        ("R015__storage_integration.sql", "changed"),
        ("R020__file_formats_and_stages.sql", "changed"),
    ]
    cur.execute(f"show stages in schema {DATABASE}.curated")
    assert "s3://moved/zones/curated/" in str(cur.fetchone())
    assert apply_migrations().applied == []


def test_dry_run_prints_every_object_in_order_and_changes_nothing(on_fakesnow, capsys, monkeypatch):
    cur = on_fakesnow
    monkeypatch.setenv("SNOWFLAKE_DATABASE", "NEVER_APPLIED")
    assert main(["snowflake", "apply", "--dry-run"]) == 0
    out = capsys.readouterr().out
    files = [p.name for p in migration_files()]
    assert out.startswith(
        f"-- Snowflake migrations for database NEVER_APPLIED: {len(files)} pending, 0 applied"
    )
    assert re.findall(r"^-- ([VR]\d{3}__\w+\.sql) ", out, re.MULTILINE) == files
    assert "never_applied" not in _names(cur, "show databases")  # a dry run creates nothing
    flat = _flat(out)
    db = "NEVER_APPLIED"
    for wh in WAREHOUSES:
        assert (
            f"create warehouse if not exists {wh.name} with warehouse_size = '{wh.size}' "
            f"auto_suspend = {wh.auto_suspend_s} auto_resume = true" in flat
        )
        assert f"alter warehouse {wh.name} set resource_monitor = lakehouse_monthly;" in flat
    assert "credit_quota = 100 frequency = monthly" in flat
    for role in ("LOADER", "TRANSFORMER", "ANALYST", "ML", "SHARING"):
        assert f"create role if not exists {role}; grant role {role} to role SYSADMIN;" in flat
    assert "create role if not exists PII_READER;" in flat
    assert (
        "storage_allowed_locations = ('s3://lake/zones/curated/', 's3://lake/zones/processed/')" in flat
        and "storage_aws_role_arn = 'arn:aws:iam::123456789012:role/snowflake-lake-read'" in flat
    )
    assert (
        f"url = 's3://lake/zones/curated/' storage_integration = lakehouse_s3 "
        f"file_format = (format_name = {db}.curated.lake_parquet)" in flat
    )
    assert f"alter tag {db}.governance.pii set masking policy {db}.governance.mask_pii;" in flat
    assert "is_role_in_session('PII_READER')" in flat
    assert "allowed_ip_list = ('10.20.0.0/16', '52.1.2.3/32')" in flat
    assert "alter user if exists LAKEHOUSE_SVC set network_policy = lakehouse_platform;" in flat
    # every PII column of the contracts that reaches the warehouse carries the tag
    pii = [(c.name, col.curated_name) for c in CONTRACTS.values() for col in c.columns if col.pii == "hash"]
    assert pii
    for table, column in pii:
        assert (
            f"alter table {db}.curated.{table} modify column {column} set tag "
            f"{db}.governance.pii = 'hmac_sha256';" in flat
        )


def test_the_grants_of_the_migrations_and_of_dbt_agree(settings):
    """dbt's `grants` (from its manifest: what dbt applies to every model and snapshot it
    builds) and the migrations' grants on each dbt schema name the same roles, and every role
    granted anything is one the migrations create."""
    manifest = json.loads(project.manifest_path().read_text())
    by_dbt: set[tuple[str, str, str]] = set()
    for node in manifest["nodes"].values():
        if node["resource_type"] in ("model", "snapshot", "seed"):
            for privilege, roles in (node["config"].get("grants") or {}).items():
                by_dbt |= {(node["schema"], privilege, r) for r in roles}
    assert {s for s, _, _ in by_dbt} >= {"marts", "snapshots"}

    grants = [_flat(s) for s in _statements("grants")]
    pattern = re.compile(rf"grant (\w+) on future tables in schema {DATABASE}\.(\w+) to role (\w+)")
    a = account()
    by_migrations = {
        (m[2], m[1], m[3])
        for g in grants
        if (m := pattern.fullmatch(g)) and m[2] in a.dbt_schemas and m[3] != a.roles.transformer
    }
    assert by_migrations == by_dbt
    for schema, _, role in by_dbt:  # a select needs usage on the schema too
        assert f"grant usage on schema {DATABASE}.{schema} to role {role}" in grants

    created = {_flat(s).split()[-1] for s in _statements("roles") if s.startswith("create role")}
    granted_to = {
        _flat(g).split()[-1] for g in [*grants, *_statements("warehouses")] if g.startswith("grant")
    }
    assert granted_to <= created | {"SYSADMIN"}


def test_the_loader_writes_its_schemas_and_nothing_more(settings):
    grants = [_flat(s) for s in _statements("grants")]
    loader = [g for g in grants if g.endswith("to role LOADER")]
    assert loader and all(
        f" schema {DATABASE}.curated " in g or f" schema {DATABASE}.events " in g or " database " in g
        for g in loader
    )
    assert any(
        "insert, update, delete" in g and f"future tables in schema {DATABASE}.curated" in g for g in loader
    )
    assert not [g for g in grants if "to role ANALYST" in g and (".curated " in g or ".staging " in g)]


def test_a_changed_or_missing_applied_migration_is_an_error_naming_it(settings):
    migrations = render(account())
    applied = [Applied(m.script, m.kind, m.checksum) for m in migrations]
    assert plan(migrations, applied, DATABASE, None).steps == ()

    changed = [*applied[:2], Applied(applied[2].script, "versioned", "0123456789abcdef"), *applied[3:]]
    assert applied[2].script == "V003__warehouses.sql"
    with pytest.raises(MigrationError, match=r"V003__warehouses\.sql was applied .* 0123456789abcdef"):
        plan(migrations, changed, DATABASE, None)
    repeatable = [*applied[:-1], Applied(applied[-1].script, "repeatable", "0123456789abcdef")]
    assert [(s.script, s.reason) for s in plan(migrations, repeatable, DATABASE, None).steps] == [
        (applied[-1].script, "changed")
    ]
    gone = [*applied, Applied("V099__dropped.sql", "versioned", "x")]
    with pytest.raises(MigrationError, match=r"V099__dropped\.sql, which no longer exist"):
        plan(migrations, gone, DATABASE, None)


def test_a_misnamed_or_doubly_numbered_file_is_an_error_naming_it(tmp_path, monkeypatch):
    monkeypatch.setattr(migrations_module, "MIGRATIONS_DIR", tmp_path)
    (tmp_path / "V001__a.sql").write_text("select 1;")
    (tmp_path / "V001__b.sql").write_text("select 1;")
    with pytest.raises(PlatformError, match=r"V001__a\.sql and V001__b\.sql share the number 001"):
        migration_files()
    (tmp_path / "V001__b.sql").unlink()
    (tmp_path / "2_schemas.sql").write_text("select 1;")
    with pytest.raises(PlatformError, match=r"2_schemas\.sql not named"):
        migration_files()


def test_a_missing_setting_is_an_error_naming_it(settings, monkeypatch):
    monkeypatch.delenv("SNOWFLAKE_ALLOWED_IPS")
    with pytest.raises(PlatformError, match="SNOWFLAKE_ALLOWED_IPS is not set"):
        account()
    monkeypatch.setenv("SNOWFLAKE_ALLOWED_IPS", "10.0.0.0/8")
    monkeypatch.delenv("SNOWFLAKE_STORAGE_AWS_ROLE_ARN")
    with pytest.raises(PlatformError, match="SNOWFLAKE_STORAGE_AWS_ROLE_ARN is not set"):
        account()
