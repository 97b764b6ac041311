"""What the Snowflake migrations create, and its names: one `Account` read from the settings
(variables.py), the warehouse's names (keys.py, the loader's stages and copies), dbt's project
(its layer schemas and `+grants`) and the contracts (which columns are personal data).

The access model in one place: the loader writes the copy schemas (`curated`, `events`); the
transformer (dbt's role) reads them and builds every dbt layer schema; who else may read a dbt
layer is what dbt_project.yml's `+grants` say, and nothing more (a test compares the grants dbt
applies, from its manifest, with the migrations).
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2
import yaml

from platform_assets.contracts import CONTRACTS
from platform_assets.contracts.events import EVENTS
from platform_assets.errors import PlatformError
from platform_assets.settings import DBT_PROJECT_DIR
from platform_assets.variables import number, value
from platform_assets.warehouse.keys import CURATED_SCHEMA
from platform_assets.warehouse.load_sql import (
    COPY_SCHEMAS,
    CopiedTable,
    SnowflakeStage,
    SnowflakeStages,
    curated_copy,
    events_copy,
)

HISTORY_SCHEMA = "platform_admin"  # the migrations' own bookkeeping
HISTORY_TABLE = f"{HISTORY_SCHEMA}.schema_migrations"
GOVERNANCE_SCHEMA = "governance"  # the PII tag and its masking policy
PII_TAG = f"{GOVERNANCE_SCHEMA}.pii"
MASK_PII = f"{GOVERNANCE_SCHEMA}.mask_pii"
NETWORK_POLICY = "lakehouse_platform"
RESOURCE_MONITOR = "lakehouse_monthly"
# Custom roles hang under SYSADMIN, so the account's administrators keep control of their objects.
PARENT_ROLE = "SYSADMIN"


@dataclass(frozen=True)
class Warehouse:
    """A virtual warehouse per workload: small and quick to suspend, resumed on demand."""

    workload: str
    size: str
    auto_suspend_s: int
    used_by: str  # the role (attribute of Roles) that runs this workload

    @property
    def name(self) -> str:
        return f"LAKEHOUSE_{self.workload.upper()}_WH"


# Loading is COPY INTO of a few files; transforming is dbt (the largest); BI keeps its cache
# warm a little longer for dashboards; ML reads wide marts in bursts.
WAREHOUSES = (
    Warehouse("loading", "XSMALL", 60, "loader"),
    Warehouse("transforming", "SMALL", 60, "transformer"),
    Warehouse("bi", "XSMALL", 300, "analyst"),
    Warehouse("ml", "MEDIUM", 120, "ml"),
)


@dataclass(frozen=True)
class Roles:
    """The platform's functional roles (names from variables.py). The loader's role is the one
    the loader connects with (SNOWFLAKE_LOADER_ROLE, else SNOWFLAKE_ROLE), as in resources.py."""

    loader: str
    transformer: str
    analyst: str
    ml: str
    sharing: str
    pii_reader: str

    def all(self) -> list[str]:
        return list(dict.fromkeys(vars(self).values()))


@dataclass(frozen=True)
class PiiColumn:
    """A contract column that reaches the warehouse and is personal data (a keyed hash)."""

    relation: str  # schema.table of the warehouse copy
    column: str
    tag: str  # the value of the pii tag: how the column is protected


@dataclass(frozen=True)
class Account:
    database: str
    user: str | None
    roles: Roles
    warehouses: tuple[Warehouse, ...]
    monthly_credit_quota: int
    allowed_ips: tuple[str, ...]
    storage_integration: str | None
    storage_aws_role_arn: str | None
    stages: tuple[SnowflakeStage, ...]
    file_format: str
    copy_schemas: tuple[str, ...]
    dbt_schemas: tuple[str, ...]
    dbt_grants: dict[str, dict[str, tuple[str, ...]]]  # dbt schema -> privilege -> roles
    copies: tuple[CopiedTable, ...]
    pii_columns: tuple[PiiColumn, ...]

    @property
    def schemas(self) -> list[str]:
        """Every schema the migrations create: the loader's copies, then dbt's layers."""
        return list(dict.fromkeys([*self.copy_schemas, *self.dbt_schemas]))


def _required(name: str, why: str) -> str:
    found = value(name)
    if not found:
        raise PlatformError(f"{name} is not set; {why}")
    return found


def copied_tables() -> list[CopiedTable]:
    """The warehouse copies the loader fills: every curated contract table, and the events."""
    return [*(curated_copy(c) for c in CONTRACTS.values()), events_copy(EVENTS)]


def pii_columns() -> list[PiiColumn]:
    """Personal data that reaches the warehouse, from the contracts (hashed columns; dropped
    and free-text columns never leave the processed zone)."""
    return [
        PiiColumn(f"{CURATED_SCHEMA}.{c.name}", col.curated_name, col.pii_tag)
        for c in CONTRACTS.values()
        for col in c.columns
        if col.pii and col.curated_name and col.pii_tag
    ]


def _dbt_project() -> dict:
    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())


def _render_dbt(text: str) -> str:
    """A dbt_project.yml value with `env_var(...)` rendered as dbt renders it, through the
    platform's declared variables (an undeclared name is an error naming it)."""

    def env_var(name: str, default: str | None = None) -> str:
        return value(name) or default or ""

    # renders YAML, not HTML: HTML escaping would corrupt the values
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # noqa: S701 -- not HTML
    return env.from_string(text).render(env_var=env_var)


def _walk_dbt(node, schema: str | None, grants: dict | None, out: dict) -> None:
    """Each `+schema` of a config tree, with the `+grants` in force there (the nearest one)."""
    if not isinstance(node, dict):
        return
    schema = node.get("+schema", schema)
    grants = node.get("+grants", grants)
    if isinstance(node.get("+schema"), str):
        out.setdefault(node["+schema"], grants or {})
    for key, child in node.items():
        if not key.startswith("+"):
            _walk_dbt(child, schema, grants, out)


def dbt_layer_grants() -> dict[str, dict[str, tuple[str, ...]]]:
    """dbt's layer schemas (each `+schema` of dbt_project.yml, models and snapshots) with the
    privileges its `+grants` give there: {schema: {privilege: roles}}."""
    project = _dbt_project()
    found: dict = {}
    for section in ("models", "snapshots"):
        _walk_dbt(project.get(section, {}), None, None, found)
    return {
        schema: {priv: tuple(_render_dbt(r) for r in roles) for priv, roles in grants.items()}
        for schema, grants in found.items()
    }


def dbt_schemas() -> list[str]:
    """The schemas dbt builds in: each layer's `+schema`, and the target's default schema."""
    return list(dict.fromkeys([*dbt_layer_grants(), value("SNOWFLAKE_SCHEMA") or "ANALYTICS"]))


def account() -> Account:
    """The account as the settings describe it now; a missing setting is an error naming it."""
    from platform_assets.warehouse.resources import FILE_FORMAT, stage_lake_url

    integration = value("SNOWFLAKE_STORAGE_INTEGRATION")
    transformer = _required("SNOWFLAKE_ROLE", "it names dbt's role (the transformer)")
    grants = dbt_layer_grants()
    return Account(
        database=_required("SNOWFLAKE_DATABASE", "set it to the warehouse's database"),
        user=value("SNOWFLAKE_USER"),
        roles=Roles(
            loader=value("SNOWFLAKE_LOADER_ROLE") or transformer,
            transformer=transformer,
            analyst=value("SNOWFLAKE_ANALYST_ROLE"),
            ml=value("SNOWFLAKE_ML_ROLE"),
            sharing=value("SNOWFLAKE_SHARING_ROLE"),
            pii_reader=value("SNOWFLAKE_PII_READER_ROLE"),
        ),
        warehouses=WAREHOUSES,
        monthly_credit_quota=int(number("SNOWFLAKE_MONTHLY_CREDIT_QUOTA")),
        allowed_ips=tuple(
            ip.strip()
            for ip in _required(
                "SNOWFLAKE_ALLOWED_IPS", "the network policy needs the addresses the platform connects from"
            ).split(",")
            if ip.strip()
        ),
        storage_integration=integration,
        storage_aws_role_arn=_required(
            "SNOWFLAKE_STORAGE_AWS_ROLE_ARN", "the storage integration needs the IAM role it assumes"
        )
        if integration
        else None,
        stages=tuple(SnowflakeStages(stage_lake_url(), integration, FILE_FORMAT).for_tables(copied_tables())),
        file_format=FILE_FORMAT,
        copy_schemas=COPY_SCHEMAS,
        dbt_schemas=tuple(dbt_schemas()),
        dbt_grants=grants,
        copies=tuple(copied_tables()),
        pii_columns=tuple(pii_columns()),
    )
