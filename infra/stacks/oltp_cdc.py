"""The shop's database and its change data capture: Aurora PostgreSQL and an AWS DMS task.

Aurora: a writer and a reader in different availability zones (multi-AZ; a failover promotes
the reader), isolated subnets, storage encrypted with its own key, automated backups with
point-in-time recovery, logical replication on (`rds.logical_replication`, for DMS's slot),
deletion protection in prod. The master password is generated into Secrets Manager.

DMS: a replication instance in the private subnets (multi-AZ in prod), the Aurora source
(credentials from the secret), the S3 target writing the raw zone with exactly the settings the
platform declares (platform_assets/raw/dms_settings.py: parquet, `_commit_ts`, no date folders,
`<schema>/<table>/` folders under `raw/cdc`), and a full-load-and-CDC task whose table mapping
selects every contract table and adds `_change_seq`.
"""

from __future__ import annotations

import json
import re

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dms as dms
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import names
from infra.environments import Environment
from infra.stacks.network import NetworkStack

DATABASE = "shop"
ENGINE = rds.DatabaseClusterEngine.aurora_postgres(version=rds.AuroraPostgresEngineVersion.VER_16_9)


def s3_settings_properties(settings: dict) -> dict:
    """The platform's DMS S3 settings (API names) as the CDK property names (snake_case)."""
    return {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): v for k, v in settings.items()}


class OltpCdcStack(Stack):
    def __init__(
        self,
        scope: Construct,
        config: Environment,
        network: NetworkStack,
        lake: s3.IBucket,
        lake_key: kms.IKey,
        **kwargs,
    ) -> None:
        super().__init__(scope, config.stack_name("oltp-cdc"), **kwargs)
        removal = RemovalPolicy.RETAIN if config.deletion_protection else RemovalPolicy.DESTROY
        self.database_key = kms.Key(
            self,
            "DatabaseKey",
            alias=f"lakehouse-{config.name}-database",
            enable_key_rotation=True,
            description="Aurora storage, its secret and the DMS instance",
            removal_policy=removal,
        )
        parameters = rds.ParameterGroup(
            self,
            "ClusterParameters",
            engine=ENGINE,
            description="Logical replication for DMS; every statement's duration logged",
            parameters={"rds.logical_replication": "1", "log_min_duration_statement": "1000"},
        )
        instance_type = ec2.InstanceType(config.db_instance_class)
        self.cluster = rds.DatabaseCluster(
            self,
            "Aurora",
            engine=ENGINE,
            credentials=rds.Credentials.from_generated_secret(
                "lakehouse_admin", encryption_key=self.database_key
            ),
            default_database_name=DATABASE,
            writer=rds.ClusterInstance.provisioned(
                "Writer",
                instance_type=instance_type,
                enable_performance_insights=True,
                performance_insight_encryption_key=self.database_key,
            ),
            readers=[
                rds.ClusterInstance.provisioned(
                    "Reader",
                    instance_type=instance_type,
                    enable_performance_insights=True,
                    performance_insight_encryption_key=self.database_key,
                )
            ],
            vpc=network.vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            security_groups=[network.database_sg],
            parameter_group=parameters,
            storage_encrypted=True,
            storage_encryption_key=self.database_key,
            backup=rds.BackupProps(
                retention=Duration.days(config.db_backup_days), preferred_window="02:00-03:00"
            ),
            deletion_protection=config.deletion_protection,
            iam_authentication=True,
            cloudwatch_logs_exports=["postgresql"],
            copy_tags_to_snapshot=True,
            monitoring_interval=Duration.seconds(60),
            removal_policy=RemovalPolicy.SNAPSHOT if config.deletion_protection else RemovalPolicy.DESTROY,
        )
        self.secret = self.cluster.secret
        self._dms(config, network, lake, lake_key)

    def _dms(self, config: Environment, network: NetworkStack, lake: s3.IBucket, lake_key: kms.IKey) -> None:
        # DMS's own service roles, by the names DMS looks for
        iam.Role(
            self,
            "DmsVpcRole",
            role_name="dms-vpc-role",
            assumed_by=iam.ServicePrincipal("dms.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonDMSVPCManagementRole")
            ],
        )
        iam.Role(
            self,
            "DmsLogsRole",
            role_name="dms-cloudwatch-logs-role",
            assumed_by=iam.ServicePrincipal("dms.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AmazonDMSCloudWatchLogsRole")
            ],
        )
        private = network.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        subnets = dms.CfnReplicationSubnetGroup(
            self,
            "DmsSubnets",
            replication_subnet_group_description="DMS in the private subnets",
            subnet_ids=private.subnet_ids,
        )
        self.replication_instance = dms.CfnReplicationInstance(
            self,
            "DmsInstance",
            replication_instance_identifier=f"lakehouse-{config.name}-cdc",
            replication_instance_class=config.dms_instance_class,
            allocated_storage=50,
            multi_az=config.dms_multi_az,
            publicly_accessible=False,
            auto_minor_version_upgrade=True,
            kms_key_id=self.database_key.key_arn,
            replication_subnet_group_identifier=subnets.ref,
            vpc_security_group_ids=[network.dms_sg.security_group_id],
        )
        source_role = iam.Role(
            self,
            "DmsSecretRole",
            assumed_by=iam.ServicePrincipal(f"dms.{config.region}.amazonaws.com"),
            description="DMS reads the Aurora secret",
        )
        source_role.add_to_policy(
            iam.PolicyStatement(
                actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                resources=[self.secret.secret_arn],
            )
        )
        source_role.add_to_policy(
            iam.PolicyStatement(actions=["kms:Decrypt"], resources=[self.database_key.key_arn])
        )
        self.source = dms.CfnEndpoint(
            self,
            "DmsSource",
            endpoint_type="source",
            engine_name="aurora-postgresql",
            database_name=DATABASE,
            ssl_mode="require",
            postgre_sql_settings=dms.CfnEndpoint.PostgreSqlSettingsProperty(
                secrets_manager_access_role_arn=source_role.role_arn,
                secrets_manager_secret_id=self.secret.secret_arn,
            ),
        )
        folder = names.raw_cdc_prefix(config.lake_prefix).rstrip("/")
        target_role = iam.Role(
            self,
            "DmsTargetRole",
            assumed_by=iam.ServicePrincipal("dms.amazonaws.com"),
            description=f"DMS writes s3://{config.lake_bucket}/{folder}/",
        )
        target_role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:DeleteObject", "s3:PutObjectTagging"],
                resources=[lake.arn_for_objects(f"{folder}/*")],
            )
        )
        target_role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[lake.bucket_arn],
                conditions={"StringLike": {"s3:prefix": [f"{folder}/*"]}},
            )
        )
        target_role.add_to_policy(
            iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[lake_key.key_arn])
        )
        self.target_role = target_role
        self.target = dms.CfnEndpoint(
            self,
            "DmsTarget",
            endpoint_type="target",
            engine_name="s3",
            s3_settings=dms.CfnEndpoint.S3SettingsProperty(
                bucket_name=lake.bucket_name,
                bucket_folder=folder,
                service_access_role_arn=target_role.role_arn,
                encryption_mode="SSE_KMS",
                server_side_encryption_kms_key_id=lake_key.key_arn,
                **s3_settings_properties(names.dms_settings.S3_TARGET_SETTINGS),
            ),
        )
        self.task = dms.CfnReplicationTask(
            self,
            "DmsCdcTask",
            replication_task_identifier=f"lakehouse-{config.name}-cdc",
            migration_type="full-load-and-cdc",
            replication_instance_arn=self.replication_instance.ref,
            source_endpoint_arn=self.source.ref,
            target_endpoint_arn=self.target.ref,
            table_mappings=json.dumps(names.dms_settings.table_mappings()),
            replication_task_settings=json.dumps({"Logging": {"EnableLogging": True}}),
        )
