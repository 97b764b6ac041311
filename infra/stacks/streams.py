"""The metadata store and the clickstream: DynamoDB with Streams, Kinesis, Firehose, the transform.

- The metadata table: the name, keys (`pk`/`sk`) and stream view (both images) the platform's
  store reads and provisioning creates; on-demand, point-in-time recovery, the lake's key.
- The Kinesis stream of the clickstream (`PLATFORM_EVENTS_STREAM`), encrypted with the lake's key.
- Firehose reads the stream, runs the platform's transform (streams/transform.lambda_handler:
  contract check and enrichment; rejected records go to the error prefix with their reason) and
  delivers gzip NDJSON under `raw/events/<stream>/` as `.json.gz`: Firehose appends the
  `YYYY/MM/DD/HH/` arrival hour and names objects `<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<id>`,
  which is the layout raw/firehose_layout.py reads. The delivery stream is named like the
  Kinesis stream, as the local producer names its files.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesis as kinesis
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import lambda_bundle, names
from infra.environments import Environment
from infra.suppressions import accept

# Firehose's buffer: at most this long before a delivery; the event contract's
# future_skew_seconds allows for the longest buffer (900 s), so the hour folder stays right
BUFFER_SECONDS = 300
BUFFER_MB = 64
TRANSFORM_BUFFER_SECONDS = 60
TRANSFORM_BUFFER_MB = 1  # a Lambda response is limited to 6 MB


class StreamsStack(Stack):
    def __init__(
        self, scope: Construct, config: Environment, lake: s3.IBucket, lake_key: kms.IKey, **kwargs
    ) -> None:
        super().__init__(scope, config.stack_name("streams"), **kwargs)
        removal = RemovalPolicy.RETAIN if config.deletion_protection else RemovalPolicy.DESTROY
        self.metadata_table = dynamodb.Table(
            self,
            "MetadataTable",
            table_name=names.METADATA_TABLE,
            partition_key=dynamodb.Attribute(
                name=names.METADATA_KEY_SCHEMA["HASH"], type=dynamodb.AttributeType.STRING
            ),
            sort_key=dynamodb.Attribute(
                name=names.METADATA_KEY_SCHEMA["RANGE"], type=dynamodb.AttributeType.STRING
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            stream=dynamodb.StreamViewType(names.METADATA_STREAM_VIEW),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=lake_key,
            deletion_protection=config.deletion_protection,
            removal_policy=removal,
        )
        self.events_stream = kinesis.Stream(
            self,
            "EventsStream",
            stream_name=names.EVENTS_STREAM,
            shard_count=config.events_shards,
            retention_period=Duration.hours(config.events_retention_hours),
            encryption=kinesis.StreamEncryption.KMS,
            encryption_key=lake_key,
        )
        self.transform = self._transform(config)
        self.delivery_stream = self._firehose(config, lake, lake_key)

    def _transform(self, config: Environment) -> lambda_.Function:
        # staged in a folder that lives as long as the stack (synthesis copies it into cdk.out)
        self._staging = tempfile.TemporaryDirectory(prefix="lakehouse-transform-")
        asset = lambda_bundle.stage(names.TRANSFORM_MODULE, Path(self._staging.name) / "transform")
        log_group = logs.LogGroup(self, "TransformLogs", retention=logs.RetentionDays.ONE_YEAR)
        accept(log_group, "logs-default-key")
        function = lambda_.Function(
            self,
            "FirehoseTransform",
            description="The platform's event transform (platform_assets/streams/transform.py)",
            runtime=lambda_.Runtime.PYTHON_3_11,
            handler=names.TRANSFORM_HANDLER,
            code=lambda_.Code.from_asset(str(asset)),
            layers=[
                lambda_.LayerVersion.from_layer_version_arn(
                    self, "PyArrow", config.firehose_transform_layer_arn
                )
            ],
            memory_size=512,
            timeout=Duration.minutes(1),
            reserved_concurrent_executions=10 * config.events_shards,
            log_group=log_group,
        )
        accept(function, "lambda-outside-vpc", "lambda-no-dlq")
        return function

    def _firehose(
        self, config: Environment, lake: s3.IBucket, lake_key: kms.IKey
    ) -> firehose.CfnDeliveryStream:
        prefix = names.firehose_prefix(config.lake_prefix)
        errors = names.firehose_error_prefix(config.lake_prefix)
        log_group = logs.LogGroup(self, "FirehoseLogs", retention=logs.RetentionDays.ONE_YEAR)
        accept(log_group, "logs-default-key")
        log_stream = logs.LogStream(self, "FirehoseDelivery", log_group=log_group)
        role = iam.Role(
            self,
            "FirehoseRole",
            assumed_by=iam.ServicePrincipal("firehose.amazonaws.com"),
            description="Firehose: read the clickstream, run the transform, write raw/events",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "kinesis:DescribeStream",
                    "kinesis:DescribeStreamSummary",
                    "kinesis:GetShardIterator",
                    "kinesis:GetRecords",
                    "kinesis:ListShards",
                ],
                resources=[self.events_stream.stream_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:AbortMultipartUpload", "s3:GetObject"],
                resources=[lake.arn_for_objects(f"{prefix}*"), lake.arn_for_objects(f"{errors}*")],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                resources=[lake.bucket_arn],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["kms:GenerateDataKey", "kms:Decrypt"], resources=[lake_key.key_arn])
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
                resources=[self.transform.function_arn, f"{self.transform.function_arn}:*"],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["logs:PutLogEvents"], resources=[log_group.log_group_arn])
        )
        self.firehose_role = role
        stream = firehose.CfnDeliveryStream(
            self,
            "EventsDelivery",
            delivery_stream_name=names.EVENTS.stream,
            delivery_stream_type="KinesisStreamAsSource",
            kinesis_stream_source_configuration=firehose.CfnDeliveryStream.KinesisStreamSourceConfigurationProperty(
                kinesis_stream_arn=self.events_stream.stream_arn, role_arn=role.role_arn
            ),
            extended_s3_destination_configuration=firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty(
                bucket_arn=lake.bucket_arn,
                role_arn=role.role_arn,
                prefix=prefix,
                error_output_prefix=errors,
                compression_format="GZIP",
                file_extension=names.FIREHOSE_FILE_EXTENSION,
                buffering_hints=firehose.CfnDeliveryStream.BufferingHintsProperty(
                    interval_in_seconds=BUFFER_SECONDS, size_in_m_bs=BUFFER_MB
                ),
                encryption_configuration=firehose.CfnDeliveryStream.EncryptionConfigurationProperty(
                    kms_encryption_config=firehose.CfnDeliveryStream.KMSEncryptionConfigProperty(
                        awskms_key_arn=lake_key.key_arn
                    )
                ),
                cloud_watch_logging_options=firehose.CfnDeliveryStream.CloudWatchLoggingOptionsProperty(
                    enabled=True,
                    log_group_name=log_group.log_group_name,
                    log_stream_name=log_stream.log_stream_name,
                ),
                processing_configuration=firehose.CfnDeliveryStream.ProcessingConfigurationProperty(
                    enabled=True,
                    processors=[
                        firehose.CfnDeliveryStream.ProcessorProperty(
                            type="Lambda",
                            parameters=[
                                _param("LambdaArn", self.transform.function_arn),
                                _param("BufferIntervalInSeconds", str(TRANSFORM_BUFFER_SECONDS)),
                                _param("BufferSizeInMBs", str(TRANSFORM_BUFFER_MB)),
                            ],
                        )
                    ],
                ),
            ),
        )
        # the role's policy must exist before Firehose checks its access (the ARN alone waits for the role)
        stream.node.add_dependency(role.node.find_child("DefaultPolicy"))
        return stream


def _param(name: str, value: str) -> firehose.CfnDeliveryStream.ProcessorParameterProperty:
    return firehose.CfnDeliveryStream.ProcessorParameterProperty(parameter_name=name, parameter_value=value)
