"""Monitoring and security: alarms, CloudTrail, GuardDuty, AWS Config, the budget.

Alarms (to one encrypted SNS topic): Aurora CPU and free local storage, the clickstream's
iterator age (Firehose falling behind), DMS's source and target latency, Firehose's delivery
and transform success, Dagster run failures, and per table the platform's own
`SourceToProcessedLagSeconds` against the contract's freshness SLA.

Dagster run failures: the platform emits no metric for them; its run-failure sensor logs every
failed run as `run failed: job <job>, run <id>: ...` (observability/alerts.py), so a metric
filter on the Dagster log group counts those lines as `DagsterRunFailures` in the platform's
namespace, and the alarm fires on one.
"""

from __future__ import annotations

from aws_cdk import Duration, Fn, RemovalPolicy, Stack, aws_config
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dms as dms
from aws_cdk import aws_guardduty as guardduty
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra import names
from infra.environments import Environment

RUN_FAILURE_LOG_TERM = "run failed: job"  # what alerts.alert() logs for every failed run
RUN_FAILURES_METRIC = "DagsterRunFailures"
CONFIG_RULES = {
    "S3Encrypted": "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED",
    "S3NoPublicRead": "S3_BUCKET_PUBLIC_READ_PROHIBITED",
    "S3NoPublicWrite": "S3_BUCKET_PUBLIC_WRITE_PROHIBITED",
    "S3TlsOnly": "S3_BUCKET_SSL_REQUESTS_ONLY",
    "S3Versioned": "S3_BUCKET_VERSIONING_ENABLED",
    "RdsEncrypted": "RDS_STORAGE_ENCRYPTED",
    "RdsMultiAz": "RDS_MULTI_AZ_SUPPORT",
    "RdsNotPublic": "RDS_INSTANCE_PUBLIC_ACCESS_CHECK",
    "DynamoDbPitr": "DYNAMODB_PITR_ENABLED",
    "CloudTrailOn": "CLOUD_TRAIL_ENABLED",
    "VpcFlowLogs": "VPC_FLOW_LOGS_ENABLED",
    "NoAdminPolicies": "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS",
    "GuardDutyOn": "GUARDDUTY_ENABLED_CENTRALIZED",
}


class MonitoringStack(Stack):
    def __init__(
        self,
        scope: Construct,
        config: Environment,
        lake: s3.IBucket,
        cluster: rds.DatabaseCluster,
        events_stream: kinesis.IStream,
        delivery_stream: firehose.CfnDeliveryStream,
        dms_instance: dms.CfnReplicationInstance,
        dms_task: dms.CfnReplicationTask,
        dagster_logs: logs.ILogGroup,
        access_logs: s3.IBucket,
        **kwargs,
    ) -> None:
        super().__init__(scope, config.stack_name("monitoring"), **kwargs)
        removal = RemovalPolicy.RETAIN if config.deletion_protection else RemovalPolicy.DESTROY
        self.key = kms.Key(
            self,
            "AuditKey",
            alias=f"lakehouse-{config.name}-audit",
            enable_key_rotation=True,
            description="CloudTrail, AWS Config and the alarm topic",
            removal_policy=removal,
        )
        for service in (
            "cloudwatch.amazonaws.com",
            "config.amazonaws.com",
            f"logs.{config.region}.amazonaws.com",
        ):
            self.key.add_to_resource_policy(
                iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    principals=[iam.ServicePrincipal(service)],
                    resources=["*"],
                )
            )  # a key policy's resource is the key itself
        self.topic = sns.Topic(self, "Alarms", master_key=self.key, enforce_ssl=True)
        self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        self._database_alarms(cluster)
        self._stream_alarms(events_stream, delivery_stream)
        self._dms_alarms(dms_instance, dms_task)
        self._dagster_alarms(dagster_logs)
        self._audit(config, lake, access_logs, removal)
        self._budget(config)

    def _alarm(
        self,
        name: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        periods: int = 3,
        missing=cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            name,
            metric=metric,
            threshold=threshold,
            evaluation_periods=periods,
            comparison_operator=comparison,
            treat_missing_data=missing,
            alarm_description=description,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        self.alarms[name] = alarm

    def _database_alarms(self, cluster: rds.DatabaseCluster) -> None:
        self._alarm(
            "DatabaseCpu",
            cluster.metric_cpu_utilization(period=Duration.minutes(5)),
            80,
            "Aurora CPU above 80% for 15 minutes",
        )
        self._alarm(
            "DatabaseStorage",
            cluster.metric_free_local_storage(period=Duration.minutes(5), statistic="Minimum"),
            10 * 1024**3,
            "Aurora free local storage below 10 GiB",
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        )

    def _stream_alarms(self, stream: kinesis.IStream, delivery: firehose.CfnDeliveryStream) -> None:
        self._alarm(
            "StreamIteratorAge",
            stream.metric_get_records_iterator_age_milliseconds(
                period=Duration.minutes(5), statistic="Maximum"
            ),
            15 * 60 * 1000,
            "The clickstream's readers are 15 minutes behind",
        )
        for metric, what in (
            ("DeliveryToS3.Success", "deliveries to the raw zone"),
            ("ExecuteProcessing.Success", "transform invocations"),
        ):
            self._alarm(
                "Firehose" + metric.split(".")[0],
                cloudwatch.Metric(
                    namespace="AWS/Firehose",
                    metric_name=metric,
                    statistic="Minimum",
                    period=Duration.minutes(5),
                    dimensions_map={"DeliveryStreamName": delivery.ref},
                ),
                1,
                f"Firehose: some {what} failed",
                comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                periods=1,
            )

    def _dms_alarms(self, instance: dms.CfnReplicationInstance, task: dms.CfnReplicationTask) -> None:
        # DMS's task dimension is the task's resource id, the last part of its ARN
        dimensions = {
            "ReplicationInstanceIdentifier": instance.replication_instance_identifier,
            "ReplicationTaskIdentifier": Fn.select(6, Fn.split(":", task.ref)),
        }
        for side in ("Source", "Target"):
            self._alarm(
                f"DmsLatency{side}",
                cloudwatch.Metric(
                    namespace="AWS/DMS",
                    metric_name=f"CDCLatency{side}",
                    statistic="Maximum",
                    period=Duration.minutes(5),
                    dimensions_map=dimensions,
                ),
                600,
                f"DMS CDC latency at the {side.lower()} above 10 minutes",
            )

    def _dagster_alarms(self, dagster_logs: logs.ILogGroup) -> None:
        logs.MetricFilter(
            self,
            "RunFailures",
            log_group=dagster_logs,
            filter_pattern=logs.FilterPattern.literal(f'"{RUN_FAILURE_LOG_TERM}"'),
            metric_namespace=names.METRICS_NAMESPACE,
            metric_name=RUN_FAILURES_METRIC,
            metric_value="1",
            default_value=0,
        )
        self._alarm(
            "DagsterRunFailures",
            cloudwatch.Metric(
                namespace=names.METRICS_NAMESPACE,
                metric_name=RUN_FAILURES_METRIC,
                statistic="Sum",
                period=Duration.minutes(5),
            ),
            0,
            "A Dagster run failed (the run-failure sensor logged it)",
            periods=1,
        )
        for table, contract in names.CONTRACTS.items():
            self._alarm(
                f"Lag{table.title().replace('_', '')}",
                cloudwatch.Metric(
                    namespace=names.METRICS_NAMESPACE,
                    metric_name=names.LAG,
                    statistic="Maximum",
                    period=Duration.minutes(15),
                    dimensions_map={"Table": table},
                ),
                contract.freshness_sla_minutes * 60,
                f"processed.{table} is further behind its source than its SLA "
                f"({contract.freshness_sla_minutes} min)",
                periods=1,
            )

    def _audit(self, config: Environment, lake: s3.IBucket, access_logs: s3.IBucket, removal) -> None:
        bucket = s3.Bucket(
            self,
            "AuditLogs",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="audit/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.GLACIER, transition_after=Duration.days(90)
                        )
                    ],
                    expiration=Duration.days(7 * 365),
                )
            ],
            removal_policy=removal,
        )
        trail = cloudtrail.Trail(
            self,
            "Trail",
            bucket=bucket,
            encryption_key=self.key,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_file_validation=True,
            send_to_cloud_watch_logs=True,
            cloud_watch_log_group=logs.LogGroup(
                self,
                "TrailLogs",
                retention=logs.RetentionDays.ONE_YEAR,
                encryption_key=self.key,
                removal_policy=removal,
            ),
        )
        trail.add_s3_event_selector(
            [cloudtrail.S3EventSelector(bucket=lake)], read_write_type=cloudtrail.ReadWriteType.WRITE_ONLY
        )
        guardduty.CfnDetector(
            self,
            "GuardDuty",
            enable=True,
            finding_publishing_frequency="FIFTEEN_MINUTES",
            features=[
                guardduty.CfnDetector.CFNFeatureConfigurationProperty(name=n, status="ENABLED")
                for n in ("S3_DATA_EVENTS", "RDS_LOGIN_EVENTS", "RUNTIME_MONITORING")
            ],
        )
        role = iam.Role(
            self,
            "ConfigRole",
            assumed_by=iam.ServicePrincipal("config.amazonaws.com"),
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWS_ConfigRole")],
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[bucket.arn_for_objects("config/*")])
        )
        role.add_to_policy(iam.PolicyStatement(actions=["s3:GetBucketAcl"], resources=[bucket.bucket_arn]))
        role.add_to_policy(iam.PolicyStatement(actions=["kms:GenerateDataKey"], resources=[self.key.key_arn]))
        recorder = aws_config.CfnConfigurationRecorder(
            self,
            "ConfigRecorder",
            role_arn=role.role_arn,
            recording_group=aws_config.CfnConfigurationRecorder.RecordingGroupProperty(
                all_supported=True, include_global_resource_types=True
            ),
        )
        channel = aws_config.CfnDeliveryChannel(
            self,
            "ConfigDelivery",
            s3_bucket_name=bucket.bucket_name,
            s3_key_prefix="config",
            s3_kms_key_arn=self.key.key_arn,
        )
        for name, identifier in CONFIG_RULES.items():
            rule = aws_config.ManagedRule(self, name, identifier=identifier)
            rule.node.add_dependency(recorder)
            rule.node.add_dependency(channel)

    def _budget(self, config: Environment) -> None:
        subscriber = budgets.CfnBudget.SubscriberProperty(
            subscription_type="EMAIL", address=config.alarm_email
        )
        budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"lakehouse-{config.name}-monthly",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=config.budget_usd, unit="USD"),
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type=kind,
                        comparison_operator="GREATER_THAN",
                        threshold=pct,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=[subscriber],
                )
                for kind, pct in (("ACTUAL", 80), ("FORECASTED", 100))
            ],
        )
