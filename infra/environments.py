"""The environments the app synthesizes: account, region, availability zones and sizes.

Everything a stack needs to know about where it runs is here, so synthesis never looks anything
up (no credentials, no context lookups) and dev and prod differ only in these values. The
account ids, the Snowflake and Databricks principals and the image are placeholders to replace
with the real ones before a deploy.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra import names


@dataclass(frozen=True)
class Environment:
    name: str  # dev or prod: in every stack and resource name
    account: str
    region: str
    availability_zones: tuple[str, str, str]
    vpc_cidr: str
    nat_gateways: int  # one per AZ in prod (an AZ outage keeps egress), one in dev
    lake_bucket: str  # the lake is s3://<lake_bucket>/<lake_prefix> (PLATFORM_LAKE_URI)
    lake_prefix: str
    db_instance_class: str  # Aurora writer and reader (e.g. "r6g.large")
    db_backup_days: int  # Aurora's automated backups: point-in-time recovery within them
    dms_instance_class: str
    dms_multi_az: bool
    events_shards: int
    events_retention_hours: int
    budget_usd: int  # the monthly cost budget
    alarm_email: str
    dagster_image_repository: str  # ECR repository of the image built from deploy/Dockerfile
    dagster_image_tag: str
    firehose_transform_layer_arn: str  # AWS SDK for pandas layer: pyarrow for the transform
    databricks_account_id: str  # the external id of Databricks' cross-account role
    snowflake_iam_user_arn: str  # the storage integration's STORAGE_AWS_IAM_USER_ARN
    snowflake_external_id: str  # its STORAGE_AWS_EXTERNAL_ID
    snowflake_account: str
    snowflake_user: str = "LAKEHOUSE_LOADER"
    snowflake_database: str = "LAKEHOUSE"
    snowflake_warehouse: str = "LAKEHOUSE_WH"
    snowflake_role: str = "LAKEHOUSE_TRANSFORMER"
    snowflake_storage_integration: str = "LAKEHOUSE_LAKE"
    snowflake_privatelink_service: str | None = None  # SYSTEM$GET_PRIVATELINK_CONFIG's endpoint
    raw_keep_days: int = int(names.RAW_KEEP_DAYS_DEFAULT)
    deletion_protection: bool = True

    @property
    def lake_uri(self) -> str:
        return f"s3://{self.lake_bucket}/{self.lake_prefix}"

    def stack_name(self, concern: str) -> str:
        return f"lakehouse-{self.name}-{concern}"


DATABRICKS_AWS_ACCOUNT = "414351767826"  # Databricks' own account, the cross-account principal


def _layer(region: str) -> str:
    # AWS publishes the layer in every region from its account 336392948345
    return f"arn:aws:lambda:{region}:336392948345:layer:AWSSDKPandas-Python311:20"


DEV = Environment(
    name="dev",
    account="111111111111",
    region="eu-west-1",
    availability_zones=("eu-west-1a", "eu-west-1b", "eu-west-1c"),
    vpc_cidr="10.20.0.0/16",
    nat_gateways=1,
    lake_bucket="lakehouse-dev-111111111111-eu-west-1",
    lake_prefix="lake",
    db_instance_class="t4g.medium",
    db_backup_days=7,
    dms_instance_class="dms.t3.medium",
    dms_multi_az=False,
    events_shards=int(names.EVENTS_SHARDS_DEFAULT),
    events_retention_hours=24,
    budget_usd=500,
    alarm_email="data-platform-dev@example.com",
    dagster_image_repository="lakehouse-dagster",
    dagster_image_tag="dev",
    firehose_transform_layer_arn=_layer("eu-west-1"),
    databricks_account_id="00000000-0000-0000-0000-000000000000",
    snowflake_iam_user_arn="arn:aws:iam::999999999999:user/snowflake-dev",
    snowflake_external_id="DEV_SFCRole=0_placeholder",
    snowflake_account="ORG-DEV",
    deletion_protection=False,
)

PROD = Environment(
    name="prod",
    account="222222222222",
    region="eu-west-1",
    availability_zones=("eu-west-1a", "eu-west-1b", "eu-west-1c"),
    vpc_cidr="10.30.0.0/16",
    nat_gateways=3,
    lake_bucket="lakehouse-prod-222222222222-eu-west-1",
    lake_prefix="lake",
    db_instance_class="r6g.large",
    db_backup_days=35,
    dms_instance_class="dms.r5.large",
    dms_multi_az=True,
    events_shards=2,
    events_retention_hours=168,
    budget_usd=5000,
    alarm_email="data-platform@example.com",
    dagster_image_repository="lakehouse-dagster",
    dagster_image_tag="prod",
    firehose_transform_layer_arn=_layer("eu-west-1"),
    databricks_account_id="00000000-0000-0000-0000-000000000000",
    snowflake_iam_user_arn="arn:aws:iam::999999999999:user/snowflake-prod",
    snowflake_external_id="PROD_SFCRole=0_placeholder",
    snowflake_account="ORG-PROD",
)

ENVIRONMENTS = {e.name: e for e in (DEV, PROD)}
