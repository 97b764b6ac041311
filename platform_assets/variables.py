"""Every environment variable the platform reads, declared once: name, meaning, default, secret.

The profile's resources read their settings through `env()` / `number()`, which refuse a name
not declared here; the README's table ("Running `prod`") is `markdown_table()` (a test keeps
them equal, and another that every PLATFORM_* / SNOWFLAKE_* name in the code is declared).
Print the table with `python -m platform_assets.variables`.

The bottom of the package, like settings.py: it imports nothing of the platform.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from platform_assets.errors import PlatformError

if TYPE_CHECKING:
    from dagster import EnvVar


@dataclass(frozen=True)
class Variable:
    name: str
    meaning: str
    default: str | None = None  # None: unset means "not used" (or, if required, an error)
    secret: bool = False
    required: bool = False  # `prod` cannot run without it

    @property
    def default_text(self) -> str:
        if self.required:
            return "required in `prod`"
        return f"`{self.default}`" if self.default not in (None, "") else "unset"


def _v(
    name: str, meaning: str, default: str | None = None, *, secret: bool = False, required: bool = False
) -> Variable:
    return Variable(name, meaning, default, secret, required)


VARIABLES: tuple[Variable, ...] = (
    # the profile and local state
    _v("PLATFORM_ENV", "The profile: `local` or `prod`", "local"),
    _v("PLATFORM_HOME", "Where local state lives (`.lake/`, `.platform/`); default the project folder"),
    _v(
        "DAGSTER_HOME",
        "The Dagster instance's folder (dagster.yaml); the Makefile sets it. Unset, Dagster reads "
        "the working directory's dagster.yaml",
    ),
    # the lake and AWS
    _v("PLATFORM_LAKE_URI", "The lake's root in `prod`: `s3://bucket/prefix`", required=True),
    _v("AWS_REGION", "Region of every AWS service", "us-east-1"),
    _v(
        "AWS_ENDPOINT_URL", "One endpoint for every AWS service (a local server such as moto's); unset on AWS"
    ),
    _v("AWS_PROFILE", "A named profile of `~/.aws/config`"),
    _v(
        "AWS_ACCESS_KEY_ID",
        "Access key; unset: the default credential chain (ECS task role, instance profile)",
        secret=True,
    ),
    _v("AWS_SECRET_ACCESS_KEY", "Secret of the access key", secret=True),
    _v("AWS_SESSION_TOKEN", "Session token of temporary keys", secret=True),
    _v("PLATFORM_AWS_CONNECT_TIMEOUT_S", "Seconds to open a connection to an AWS service", "5"),
    _v("PLATFORM_AWS_READ_TIMEOUT_S", "Seconds to wait for an AWS response", "30"),
    _v("PLATFORM_AWS_MAX_ATTEMPTS", "Attempts per AWS call (the first included)", "3"),
    _v("PLATFORM_RAW_KEEP_DAYS", "Days applied raw files are kept", "7"),
    # the source database
    _v(
        "PLATFORM_OLTP_DSN",
        "The shop's Postgres (libpq DSN); `local`: the embedded server",
        secret=True,
        required=True,
    ),
    # metadata store, events, catalog
    _v("PLATFORM_METADATA_TABLE", "DynamoDB table of the metadata store (Streams on)", "lakehouse-metadata"),
    _v("PLATFORM_EVENTS_STREAM", "Kinesis stream of the clickstream", "shop-clickstream"),
    _v("PLATFORM_EVENTS_SHARDS", "Shards of the Kinesis stream when provisioning creates it", "1"),
    _v(
        "PLATFORM_GLUE_DATABASE_PREFIX",
        "Glue databases are `<prefix>processed`, `<prefix>curated`",
        "lakehouse_",
    ),
    _v(
        "PLATFORM_PII_HASH_KEY",
        "Key of the PII hashes in the curated zone (32+ characters)",
        secret=True,
        required=True,
    ),
    # the warehouse (read by warehouse/resources.py and dbt's profiles.yml)
    _v("SNOWFLAKE_ACCOUNT", "Snowflake account", required=True),
    _v("SNOWFLAKE_USER", "Snowflake user", required=True),
    _v("SNOWFLAKE_PASSWORD", "Snowflake password", secret=True, required=True),
    _v("SNOWFLAKE_DATABASE", "Snowflake database", required=True),
    _v("SNOWFLAKE_WAREHOUSE", "Snowflake warehouse (compute)", required=True),
    _v("SNOWFLAKE_ROLE", "Role of dbt (and of the loader unless SNOWFLAKE_LOADER_ROLE)", required=True),
    _v("SNOWFLAKE_LOADER_ROLE", "Role of the curated loader"),
    _v("SNOWFLAKE_SCHEMA", "dbt's default schema", "ANALYTICS"),
    _v("SNOWFLAKE_HOST", "Host, for a local server (fakesnow); unset on Snowflake"),
    _v("SNOWFLAKE_PORT", "Port", "443"),
    _v("SNOWFLAKE_PROTOCOL", "Protocol", "https"),
    _v("SNOWFLAKE_STORAGE_INTEGRATION", "Storage integration of the stage over the lake"),
    _v("SNOWFLAKE_ANALYST_ROLE", "Role granted select on the marts", "ANALYST"),
    _v("SNOWFLAKE_PII_READER_ROLE", "Role that sees PII unmasked", "PII_READER"),
    # the Snowflake objects as code (warehouse/snowflake_objects: `lakehouse snowflake apply`)
    _v("SNOWFLAKE_ML_ROLE", "Role of ML training and scoring (reads marts and snapshots)", "ML"),
    _v("SNOWFLAKE_SHARING_ROLE", "Role that shares marts with other accounts", "SHARING"),
    _v(
        "SNOWFLAKE_ADMIN_ROLE",
        "Role that applies the Snowflake migrations (creates roles, warehouses, policies); "
        "default the loader's",
    ),
    _v("SNOWFLAKE_STORAGE_AWS_ROLE_ARN", "IAM role the storage integration assumes to read the lake"),
    _v(
        "SNOWFLAKE_ALLOWED_IPS",
        "Addresses (CIDRs, comma-separated) the network policy lets the platform's user connect from",
        required=True,
    ),
    _v("SNOWFLAKE_MONTHLY_CREDIT_QUOTA", "Credits per month of the warehouses' resource monitor", "100"),
    _v("SNOWFLAKE_LOGIN_TIMEOUT_S", "Seconds to log in to Snowflake (loader, provisioning, checks)", "30"),
    _v(
        "SNOWFLAKE_NETWORK_TIMEOUT_S",
        "Seconds a Snowflake request may keep failing and being retried before the call fails",
        "120",
    ),
    _v("SNOWFLAKE_SOCKET_TIMEOUT_S", "Seconds to wait on a Snowflake socket (connect and read)", "60"),
    _v(
        "PLATFORM_WAREHOUSE_STAGE_URL",
        "The lake's root as Snowflake's stages read it (a stage "
        "per copied zone: `<url>/curated/`, `<url>/processed/`); default `PLATFORM_LAKE_URI`",
    ),
    _v(
        "PLATFORM_WAREHOUSE_EMULATOR", "`fakesnow` switches on the shims for fakesnow (trials and tests only)"
    ),
    _v("PLATFORM_DOCS_PORT", "Port of the dbt docs site", "8080"),
    # dashboards (platform_assets/dashboards)
    _v("PLATFORM_DASHBOARDS_PORT", "Port of the dashboards server", "8050"),
    _v(
        "PLATFORM_DASHBOARD_USERS",
        "Dashboard users as JSON: name -> password or token, and groups (audiences)",
        secret=True,
    ),
    _v(
        "PLATFORM_DASHBOARD_USERS_FILE",
        "A file holding the same JSON; default `.platform/dashboard_users.json` (the demo writes it)",
    ),
    _v("PLATFORM_QUICKSIGHT_ACCOUNT_ID", "AWS account of QuickSight; unset: the caller's (STS)"),
    _v("PLATFORM_QUICKSIGHT_NAMESPACE", "QuickSight namespace of the audiences' groups", "default"),
    _v("PLATFORM_QUICKSIGHT_PREFIX", "Prefix of the QuickSight ids and group names", "lakehouse-"),
    # the processed zone's engine (processed/compute/engine.py)
    _v(
        "PLATFORM_PROCESSED_ENGINE",
        "Where the processed zone's apply runs: `delta-rs` (in "
        "process), `spark-pipes` (local PySpark through Pipes) or `databricks`",
        "delta-rs",
    ),
    _v("PLATFORM_DATABRICKS_HOST", "Databricks workspace URL (engine `databricks`)"),
    _v("PLATFORM_DATABRICKS_TOKEN", "Databricks access token (engine `databricks`)", secret=True),
    _v(
        "PLATFORM_DATABRICKS_JOB_FILE",
        "Where spark_job.py is uploaded for the job runs",
        "dbfs:/lakehouse/spark_job.py",
    ),
    _v("PLATFORM_DATABRICKS_WHEEL", "The platform's wheel (DBFS or a Volume), installed on the job cluster"),
    # the Glue load into the warehouse (contracts with warehouse_load="glue")
    _v("PLATFORM_GLUE_LOAD_ROLE", "IAM role the warehouse's Glue load job runs as; unset: no Glue load"),
    _v("PLATFORM_GLUE_LOAD_CONNECTIONS", "Glue connections of the load job (comma-separated): its network"),
    _v(
        "PLATFORM_GLUE_LOAD_SECRET",
        "Secrets Manager id of the Snowflake login the Glue load job uses",
        "lakehouse/snowflake-loader",
    ),
    # sharing
    _v("PLATFORM_SHARING_TOKENS", "Recipients' bearer tokens (JSON, with expiry)", secret=True),
    _v("PLATFORM_SHARING_TOKENS_FILE", "A file holding the same JSON"),
    _v("PLATFORM_SHARING_SECRET", "Key that signs the sharing server's file URLs", secret=True),
    _v("PLATFORM_SHARING_PUBLIC_URL", "The sharing server's URL as recipients see it"),
    # alerts and metrics
    _v(
        "PLATFORM_ALERT_WEBHOOK_URL",
        "Run failures are posted here as JSON (always logged); webhook URLs carry tokens",
        secret=True,
    ),
    _v("PLATFORM_METRICS_NAMESPACE", "CloudWatch namespace of the platform's metrics", "Lakehouse"),
    # machine learning (ml/)
    _v("PLATFORM_MLFLOW_TRACKING_URI", "MLflow tracking and registry URI; default `.platform/mlflow.db`"),
    _v("PLATFORM_SAGEMAKER_ROLE_ARN", "IAM role SageMaker training jobs and endpoints run as (`prod`)"),
    _v("PLATFORM_SAGEMAKER_IMAGE_URI", "Training and serving image of the churn model (`prod`)"),
    _v("PLATFORM_SAGEMAKER_INSTANCE_TYPE", "Instance type of training jobs and endpoints", "ml.m5.large"),
    _v("PLATFORM_ML_SERVE_TOKEN", "Bearer token clients of `lakehouse serve model` must send", secret=True),
    # the fault suite (platform_assets/killpoints.py)
    _v(
        "PLATFORM_KILL_AT",
        "Fault suite only: the step boundary (`name` or `name#N`) at which a process kills itself; "
        "never set it in a deployment",
    ),
)

# Set by the platform itself for dbt's subprocess (from `settings.Locations`), not by users.
INTERNAL = frozenset({"PLATFORM_LAKE_ROOT", "PLATFORM_WAREHOUSE_PATH"})

BY_NAME = {v.name: v for v in VARIABLES}


def declared(name: str) -> Variable:
    try:
        return BY_NAME[name]
    except KeyError:
        raise PlatformError(
            f"{name} is not declared in platform_assets/variables.py; declare "
            "it (meaning, default, secret) before reading it"
        ) from None


def env(name: str) -> EnvVar | str | None:
    """A string setting for a resource: an `EnvVar` when set or required, else the default.

    `EnvVar` keeps the value out of the definitions (Dagster reads it when a run starts), and a
    required variable left unset fails there with an error naming it.
    """
    from dagster import EnvVar  # here, not at the top: killpoints and CLI help stay cheap to import

    var = declared(name)
    if os.environ.get(name) or var.required:
        return EnvVar(name)
    return var.default


def value(name: str) -> str | None:
    """A setting's value now (for code outside Dagster's resources): set, else the default."""
    return os.environ.get(name) or declared(name).default


def number(name: str) -> float:
    text = value(name)
    try:
        return float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PlatformError(f"{name}={text!r} is not a number") from None


def markdown_table() -> str:
    rows = ["| variable | meaning | default | secret |", "|---|---|---|---|"]
    rows += [
        f"| `{v.name}` | {v.meaning} | {v.default_text} | {'yes' if v.secret else ''} |" for v in VARIABLES
    ]
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
