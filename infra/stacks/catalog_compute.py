"""The catalog and who may do what: Glue, Dagster on ECS, and the roles of the services around it.

- Glue: the platform's databases (`<prefix>processed`, `<prefix>curated`; the platform
  registers its Delta tables there itself, catalog/glue.py) and a crawler over the raw zone's
  DMS files into `<prefix>raw` for ad-hoc queries (Delta tables are not crawled: the platform
  keeps their schemas).
- Dagster on ECS Fargate: a cluster, the webserver (3000), the daemon (exactly one) and the code
  server (gRPC 4000, found through Cloud Map), all from the image built from deploy/Dockerfile
  (an ECR repository and tag of the environment), and the task definition runs are launched
  with (family `lakehouse-<env>-dagster-run`, for the ECS run launcher of the instance's yaml).
  Roles: the runs and the code server (sensors) reach the data; the daemon only launches and
  stops runs; the webserver only stops them.
- Databricks (cross-account, cluster instance profile), the Snowflake storage integration and
  SageMaker: each its own role, each limited to the zones it reads or writes.

Every policy names its actions and resources: no `*` action, no `*` resource for a data action
(tests/infra/test_infra_iam.py walks them all).
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_servicediscovery as servicediscovery
from constructs import Construct

from infra import names
from infra.environments import DATABRICKS_AWS_ACCOUNT, Environment
from infra.stacks.network import CODE_SERVER, WEBSERVER, NetworkStack
from infra.suppressions import accept

RAW_CRAWLER_ZONE = "raw"
_COLON = ArnFormat.COLON_RESOURCE_NAME
WORKSPACE_YAML = "/opt/dagster/app/workspace.yaml"  # in the image (deploy/); the code server's address


class Zones:
    """ARNs of the lake's zones (prefixes of the one bucket)."""

    def __init__(self, lake: s3.IBucket, config: Environment) -> None:
        self.lake, self.config = lake, config

    def prefix(self, *parts: str) -> str:
        return names.lake_key_prefix(self.config.lake_prefix, *parts)

    def objects(self, *parts: str) -> str:
        return self.lake.arn_for_objects(f"{self.prefix(*parts)}*")

    def list_statement(self, *zones: tuple[str, ...]) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            actions=["s3:ListBucket", "s3:GetBucketLocation"],
            resources=[self.lake.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{self.prefix(*z)}*" for z in zones]}},
        )


def _statement(actions: list[str], resources: list[str], **conditions) -> iam.PolicyStatement:
    return iam.PolicyStatement(actions=actions, resources=resources, conditions=conditions or None)


class CatalogComputeStack(Stack):
    def __init__(
        self,
        scope: Construct,
        config: Environment,
        network: NetworkStack,
        lake: s3.IBucket,
        lake_key: kms.IKey,
        metadata_table: dynamodb.ITable,
        events_stream: kinesis.IStream,
        oltp_secret: secretsmanager.ISecret,
        oltp_key: kms.IKey,
        **kwargs,
    ) -> None:
        super().__init__(scope, config.stack_name("catalog-compute"), **kwargs)
        self.config = config
        self.zones = Zones(lake, config)
        self.lake_key = lake_key
        # this stack's own key (Dagster's secrets and logs, the crawler's logs): grants stay here
        self.compute_key = kms.Key(
            self,
            "ComputeKey",
            alias=f"lakehouse-{config.name}-compute",
            enable_key_rotation=True,
            description="Dagster's secrets and logs",
        )
        self.compute_key.add_to_resource_policy(
            iam.PolicyStatement(
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                principals=[iam.ServicePrincipal(f"logs.{config.region}.amazonaws.com")],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": self.format_arn(
                            service="logs", resource="log-group", resource_name="*", arn_format=_COLON
                        )
                    }
                },
            )
        )
        self._glue(config)
        self.data_role = self._dagster_data_role(config, metadata_table, events_stream)
        self._dagster_services(config, network, oltp_secret, oltp_key)
        self._databricks(config)
        self._snowflake(config)
        self._sagemaker(config)

    # -- Glue -----------------------------------------------------------------------------------
    def _glue(self, config: Environment) -> None:
        self.glue_databases = {}
        for zone in (*names.DELTA_ZONES, RAW_CRAWLER_ZONE):
            name = names.glue_database(zone)
            self.glue_databases[zone] = glue.CfnDatabase(
                self,
                f"Glue{zone.title()}",
                catalog_id=config.account,
                database_input=glue.CfnDatabase.DatabaseInputProperty(
                    name=name, description=f"The lake's {zone} zone (platform_assets/catalog)"
                ),
            )
        raw_db = names.glue_database(RAW_CRAWLER_ZONE)
        role = iam.Role(
            self,
            "CrawlerRole",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description="The raw-zone crawler: read raw/cdc, write its Glue database",
        )
        role.add_to_policy(
            _statement(["s3:GetObject"], [self.zones.objects(*names.dms_settings.TARGET_FOLDER)])
        )
        role.add_to_policy(self.zones.list_statement(names.dms_settings.TARGET_FOLDER))
        role.add_to_policy(_statement(["kms:Decrypt"], [self.lake_key.key_arn]))
        role.add_to_policy(
            _statement(
                [
                    "glue:GetDatabase",
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:CreateTable",
                    "glue:UpdateTable",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                    "glue:BatchGetPartition",
                    "glue:CreatePartition",
                    "glue:BatchCreatePartition",
                    "glue:UpdatePartition",
                ],
                [
                    self.format_arn(service="glue", resource="catalog"),
                    self.format_arn(service="glue", resource="database", resource_name=raw_db),
                    self.format_arn(service="glue", resource="table", resource_name=f"{raw_db}/*"),
                ],
            )
        )
        role.add_to_policy(
            _statement(
                ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                [
                    self.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="/aws-glue/crawlers*",
                        arn_format=_COLON,
                    )
                ],
            )
        )
        security = glue.CfnSecurityConfiguration(
            self,
            "CrawlerSecurity",
            name=f"lakehouse-{config.name}-crawler",
            encryption_configuration=glue.CfnSecurityConfiguration.EncryptionConfigurationProperty(
                s3_encryptions=[
                    glue.CfnSecurityConfiguration.S3EncryptionProperty(
                        s3_encryption_mode="SSE-KMS", kms_key_arn=self.lake_key.key_arn
                    )
                ],
                cloud_watch_encryption=glue.CfnSecurityConfiguration.CloudWatchEncryptionProperty(
                    cloud_watch_encryption_mode="SSE-KMS", kms_key_arn=self.compute_key.key_arn
                ),
                job_bookmarks_encryption=glue.CfnSecurityConfiguration.JobBookmarksEncryptionProperty(
                    job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=self.compute_key.key_arn
                ),
            ),
        )
        self.crawler = glue.CfnCrawler(
            self,
            "RawCrawler",
            role=role.role_arn,
            crawler_security_configuration=security.name,
            database_name=raw_db,
            description="DMS files of the raw zone, one table per source table",
            targets=glue.CfnCrawler.TargetsProperty(
                s3_targets=[
                    glue.CfnCrawler.S3TargetProperty(
                        path=f"s3://{config.lake_bucket}/{self.zones.prefix(*names.dms_settings.TARGET_FOLDER)}",
                        exclusions=["**/_*/**", "**.tmp-*"],
                    )
                ]
            ),
            schedule=glue.CfnCrawler.ScheduleProperty(schedule_expression="cron(15 3 * * ? *)"),
            schema_change_policy=glue.CfnCrawler.SchemaChangePolicyProperty(
                update_behavior="UPDATE_IN_DATABASE", delete_behavior="LOG"
            ),
        )
        self.crawler.node.add_dependency(self.glue_databases[RAW_CRAWLER_ZONE])

    # -- Dagster --------------------------------------------------------------------------------
    def _dagster_data_role(
        self, config: Environment, table: dynamodb.ITable, stream: kinesis.IStream
    ) -> iam.Role:
        """What the runs and the code server's sensors touch: the lake, the metadata table and its
        stream, the clickstream (the self-hosted consumer), the Glue databases, the metrics."""
        role = iam.Role(
            self,
            "DagsterDataRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="Dagster runs and code server: the platform's data",
        )
        lake_all = self.zones.prefix()
        role.add_to_policy(
            _statement(
                ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                [self.zones.lake.arn_for_objects(f"{lake_all}*")],
            )
        )
        role.add_to_policy(
            _statement(
                ["s3:ListBucket", "s3:GetBucketLocation"],
                [self.zones.lake.bucket_arn],
                StringLike={"s3:prefix": [f"{lake_all}*"]},
            )
        )
        role.add_to_policy(
            _statement(
                ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                [self.lake_key.key_arn],
            )
        )
        role.add_to_policy(
            _statement(
                [
                    "dynamodb:DescribeTable",
                    "dynamodb:GetItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:Query",
                    "dynamodb:Scan",
                ],
                [table.table_arn],
            )
        )
        role.add_to_policy(
            _statement(
                ["dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords"],
                [f"{table.table_arn}/stream/*"],
            )
        )
        role.add_to_policy(
            _statement(
                [
                    "kinesis:DescribeStreamSummary",
                    "kinesis:ListShards",
                    "kinesis:GetShardIterator",
                    "kinesis:GetRecords",
                ],
                [stream.stream_arn],
            )
        )
        glue_dbs = [names.glue_database(z) for z in names.DELTA_ZONES]
        role.add_to_policy(
            _statement(
                [
                    "glue:GetDatabase",
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:GetTableVersions",
                    "glue:CreateTable",
                    "glue:UpdateTable",
                ],
                [
                    self.format_arn(service="glue", resource="catalog"),
                    *(
                        self.format_arn(service="glue", resource="database", resource_name=d)
                        for d in glue_dbs
                    ),
                    *(
                        self.format_arn(service="glue", resource="table", resource_name=f"{d}/*")
                        for d in glue_dbs
                    ),
                ],
            )
        )
        # PutMetricData takes no resource: the namespace condition is the scope
        role.add_to_policy(
            _statement(
                ["cloudwatch:PutMetricData"],
                ["*"],
                StringEquals={"cloudwatch:namespace": names.METRICS_NAMESPACE},
            )
        )
        return role

    def _platform_environment(self, config: Environment) -> dict[str, str]:
        """The platform's settings in `prod` (each declared in platform_assets/variables.py)."""
        return {
            "PLATFORM_ENV": "prod",
            "PLATFORM_LAKE_URI": config.lake_uri,
            "AWS_REGION": config.region,
            "PLATFORM_METADATA_TABLE": names.METADATA_TABLE,
            "PLATFORM_EVENTS_STREAM": names.EVENTS_STREAM,
            "PLATFORM_GLUE_DATABASE_PREFIX": names.GLUE_DATABASE_PREFIX,
            "PLATFORM_METRICS_NAMESPACE": names.METRICS_NAMESPACE,
            "PLATFORM_RAW_KEEP_DAYS": str(config.raw_keep_days),
            # libpq takes host, port, user and password from PGHOST... (the secret, below)
            "PLATFORM_OLTP_DSN": "dbname=shop sslmode=require",
            "SNOWFLAKE_ACCOUNT": config.snowflake_account,
            "SNOWFLAKE_USER": config.snowflake_user,
            "SNOWFLAKE_DATABASE": config.snowflake_database,
            "SNOWFLAKE_WAREHOUSE": config.snowflake_warehouse,
            "SNOWFLAKE_ROLE": config.snowflake_role,
            "SNOWFLAKE_STORAGE_INTEGRATION": config.snowflake_storage_integration,
        }

    def _dagster_services(
        self,
        config: Environment,
        network: NetworkStack,
        oltp_secret: secretsmanager.ISecret,
        oltp_key: kms.IKey,
    ) -> None:
        self.cluster = ecs.Cluster(
            self,
            "Cluster",
            vpc=network.vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
            default_cloud_map_namespace=ecs.CloudMapNamespaceOptions(
                name=f"dagster.{config.name}.internal",
                vpc=network.vpc,
                type=servicediscovery.NamespaceType.DNS_PRIVATE,
            ),
        )
        self.log_group = logs.LogGroup(
            self, "DagsterLogs", retention=logs.RetentionDays.ONE_YEAR, encryption_key=self.compute_key
        )
        image = ecs.ContainerImage.from_ecr_repository(
            ecr.Repository.from_repository_name(self, "Image", config.dagster_image_repository),
            config.dagster_image_tag,
        )
        pii_key = secretsmanager.Secret(
            self,
            "PiiHashKey",
            description="PLATFORM_PII_HASH_KEY",
            encryption_key=self.compute_key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=48, exclude_punctuation=True
            ),
        )
        snowflake_password = secretsmanager.Secret(
            self,
            "SnowflakePassword",
            description="SNOWFLAKE_PASSWORD (set it to the user's password)",
            encryption_key=self.compute_key,
        )
        # imported by ARN, so reading it is granted on the role here, not in the other stack's key
        oltp = secretsmanager.Secret.from_secret_complete_arn(self, "OltpSecret", oltp_secret.secret_arn)
        secrets = {
            "PLATFORM_PII_HASH_KEY": ecs.Secret.from_secrets_manager(pii_key),
            "SNOWFLAKE_PASSWORD": ecs.Secret.from_secrets_manager(snowflake_password),
            **{
                var: ecs.Secret.from_secrets_manager(oltp, key)
                for var, key in (
                    ("PGHOST", "host"),
                    ("PGPORT", "port"),
                    ("PGUSER", "username"),
                    ("PGPASSWORD", "password"),
                )
            },
        }
        environment = self._platform_environment(config)

        def task(
            name: str, role: iam.IRole, command: list[str], port: int | None, family: str | None = None
        ) -> ecs.FargateTaskDefinition:
            definition = ecs.FargateTaskDefinition(
                self,
                f"{name}Task",
                cpu=1024,
                memory_limit_mib=4096 if name in ("Run", "CodeServer") else 2048,
                task_role=role,
                family=family or f"lakehouse-{config.name}-dagster-{name.lower()}",
                execution_role=self.execution_role,
            )
            definition.add_container(
                name.lower(),
                image=image,
                command=command,
                environment=environment,
                secrets=secrets,
                logging=ecs.LogDrivers.aws_logs(stream_prefix=name.lower(), log_group=self.log_group),
                port_mappings=[ecs.PortMapping(container_port=port)] if port else None,
                readonly_root_filesystem=False,
            )
            return definition

        self.execution_role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="Pulls the image, writes logs, reads the task secrets",
        )
        self.execution_role.add_to_policy(_statement(["kms:Decrypt"], [oltp_key.key_arn]))
        self.run_task = task("Run", self.data_role, [], None)
        code = task(
            "CodeServer",
            self.data_role,
            [
                "dagster",
                "code-server",
                "start",
                "-h",
                "0.0.0.0",  # noqa: S104 -- in the container: reached through the task's security group
                "-p",
                str(CODE_SERVER),
                "-m",
                "platform_assets.definitions",
            ],
            CODE_SERVER,
        )
        self.webserver_role = iam.Role(
            self,
            "WebserverRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="Dagster webserver: stop runs, nothing else",
        )
        self.daemon_role = iam.Role(
            self,
            "DaemonRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="Dagster daemon: the ECS run launcher",
        )
        tasks_arn = self.format_arn(
            service="ecs", resource="task", resource_name=f"{self.cluster.cluster_name}/*"
        )
        for role in (self.webserver_role, self.daemon_role):
            role.add_to_policy(_statement(["ecs:DescribeTasks", "ecs:StopTask"], [tasks_arn]))
        self.daemon_role.add_to_policy(
            _statement(
                ["ecs:RunTask"],
                [
                    self.format_arn(
                        service="ecs",
                        resource="task-definition",
                        resource_name=f"lakehouse-{config.name}-dagster-*",
                    )
                ],
                ArnEquals={"ecs:cluster": self.cluster.cluster_arn},
            )
        )
        self.daemon_role.add_to_policy(_statement(["ecs:TagResource"], [tasks_arn]))
        self.daemon_role.add_to_policy(
            _statement(
                ["iam:PassRole"],
                [self.data_role.role_arn, self.execution_role.role_arn],
                StringEquals={"iam:PassedToService": "ecs-tasks.amazonaws.com"},
            )
        )
        # the launcher reads and registers task definitions: no resource-level permissions exist
        self.daemon_role.add_to_policy(
            _statement(
                ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition", "ec2:DescribeNetworkInterfaces"],
                ["*"],
            )
        )
        accept(self.daemon_role.node.find_child("DefaultPolicy"), "no-resource-level-permissions")
        web = task(
            "Webserver",
            self.webserver_role,
            ["dagster-webserver", "-h", "0.0.0.0", "-p", str(WEBSERVER), "-w", WORKSPACE_YAML],  # noqa: S104 -- in the container: reached through the load balancer only
            WEBSERVER,
        )
        daemon = task("Daemon", self.daemon_role, ["dagster-daemon", "run", "-w", WORKSPACE_YAML], None)
        private = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        self.services = {}
        for name, definition, count, discovery in (
            ("code-server", code, 2 if config.name == "prod" else 1, "code-server"),
            ("webserver", web, 1, "webserver"),
            ("daemon", daemon, 1, None),  # exactly one daemon
        ):
            self.services[name] = ecs.FargateService(
                self,
                f"{name.title().replace('-', '')}Service",
                cluster=self.cluster,
                task_definition=definition,
                desired_count=count,
                security_groups=[network.dagster_sg],
                vpc_subnets=private,
                assign_public_ip=False,
                enable_execute_command=False,
                min_healthy_percent=0 if name == "daemon" else 100,
                max_healthy_percent=100 if name == "daemon" else 200,
                circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
                cloud_map_options=ecs.CloudMapOptions(name=discovery) if discovery else None,
            )

    # -- Databricks, Snowflake, SageMaker -------------------------------------------------------
    def _databricks(self, config: Environment) -> None:
        """Databricks starts clusters in this account (cross-account role) whose instance profile
        applies the processed zone (engine `databricks`): read raw, write processed."""
        cluster_role = iam.Role(
            self,
            "DatabricksClusterRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="Databricks clusters: raw (read), processed (read, write)",
        )
        cluster_role.add_to_policy(_statement(["s3:GetObject"], [self.zones.objects("raw")]))
        cluster_role.add_to_policy(
            _statement(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [self.zones.objects("processed")])
        )
        cluster_role.add_to_policy(self.zones.list_statement(("raw",), ("processed",)))
        cluster_role.add_to_policy(
            _statement(["kms:Decrypt", "kms:GenerateDataKey"], [self.lake_key.key_arn])
        )
        profile = iam.CfnInstanceProfile(self, "DatabricksInstanceProfile", roles=[cluster_role.role_name])
        cross = iam.Role(
            self,
            "DatabricksCrossAccountRole",
            assumed_by=iam.AccountPrincipal(DATABRICKS_AWS_ACCOUNT).with_conditions(
                {"StringEquals": {"sts:ExternalId": config.databricks_account_id}}
            ),
            description="Databricks control plane: start and stop clusters in the VPC",
        )
        cross.add_to_policy(
            _statement(
                [
                    "ec2:RunInstances",
                    "ec2:TerminateInstances",
                    "ec2:StartInstances",
                    "ec2:StopInstances",
                    "ec2:CreateTags",
                    "ec2:DeleteTags",
                    "ec2:CreateVolume",
                    "ec2:DeleteVolume",
                    "ec2:AttachVolume",
                    "ec2:DetachVolume",
                    "ec2:DescribeInstances",
                    "ec2:DescribeInstanceStatus",
                    "ec2:DescribeVolumes",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeAvailabilityZones",
                    "ec2:RequestSpotInstances",
                    "ec2:CancelSpotInstanceRequests",
                    "ec2:DescribeSpotInstanceRequests",
                    "ec2:DescribeSpotPriceHistory",
                ],
                ["*"],
            )
        )
        cross.add_to_policy(_statement(["iam:PassRole"], [cluster_role.role_arn]))
        accept(cross.node.find_child("DefaultPolicy"), "no-resource-level-permissions")
        self.databricks_instance_profile = profile

    def _snowflake(self, config: Environment) -> None:
        """The storage integration's role: read the zones Snowflake's stages read (curated and
        processed, warehouse/stages), nothing else."""
        role = iam.Role(
            self,
            "SnowflakeIntegrationRole",
            assumed_by=iam.ArnPrincipal(config.snowflake_iam_user_arn).with_conditions(
                {"StringEquals": {"sts:ExternalId": config.snowflake_external_id}}
            ),
            description=f"Snowflake storage integration {config.snowflake_storage_integration}: read-only",
        )
        role.add_to_policy(
            _statement(
                ["s3:GetObject", "s3:GetObjectVersion"], [self.zones.objects(z) for z in names.DELTA_ZONES]
            )
        )
        role.add_to_policy(self.zones.list_statement(*((z,) for z in names.DELTA_ZONES)))
        role.add_to_policy(_statement(["kms:Decrypt"], [self.lake_key.key_arn]))
        self.snowflake_role = role

    def _sagemaker(self, config: Environment) -> None:
        """Training jobs and the endpoint: read curated and ml, write ml (datasets, models)."""
        role = iam.Role(
            self,
            "SageMakerRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="SageMaker training and hosting: curated (read), ml (read, write)",
        )
        role.add_to_policy(_statement(["s3:GetObject"], [self.zones.objects("curated")]))
        role.add_to_policy(_statement(["s3:GetObject", "s3:PutObject"], [self.zones.objects(names.ML_ZONE)]))
        role.add_to_policy(self.zones.list_statement(("curated",), (names.ML_ZONE,)))
        role.add_to_policy(_statement(["kms:Decrypt", "kms:GenerateDataKey"], [self.lake_key.key_arn]))
        role.add_to_policy(
            _statement(
                ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                [f"arn:aws:ecr:{config.region}:763104351884:repository/*"],
            )
        )  # AWS's framework images
        role.add_to_policy(_statement(["ecr:GetAuthorizationToken"], ["*"]))
        role.add_to_policy(
            _statement(
                ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                [
                    self.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="/aws/sagemaker/*",
                        arn_format=_COLON,
                    )
                ],
            )
        )
        self.sagemaker_role = role
