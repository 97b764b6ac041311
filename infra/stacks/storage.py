"""The lake's bucket: one bucket, its zones as prefixes, as the platform reads it.

The platform addresses the lake as one root (`PLATFORM_LAKE_URI` = s3://bucket/prefix) with
the zones under it (lake.py), so the zones are prefixes of one bucket, each with its own
lifecycle. Versioning, a customer-managed KMS key (bucket keys on), every public access
blocked, TLS only, server access logs to a separate bucket.

Lifecycle per zone, from the platform's own retention settings:
- raw: current files never expire here: the platform deletes a raw file itself once it is
  applied and older than PLATFORM_RAW_KEEP_DAYS (maintenance/raw_retention.py), and keeps every
  file not yet applied. A deleted or overwritten file stays recoverable as a noncurrent version
  for the same number of days. The clickstream's landed files move to Infrequent Access after
  30 days (backfills still read them).
- processed and curated (Delta): VACUUM deletes files older than the contracts' retention
  (vacuum_retention_hours); their noncurrent versions expire after that long again.
- ml: datasets and models: noncurrent versions expire after 30 days.
Every zone: incomplete multipart uploads are aborted after a day.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra import names
from infra.environments import Environment
from infra.suppressions import accept

INFREQUENT_ACCESS_AFTER_DAYS = 30
ML_NONCURRENT_DAYS = 30


def zone_rules(config: Environment) -> list[s3.LifecycleRule]:
    p = config.lake_prefix
    abort = Duration.days(1)
    delta_days = Duration.days(names.DELTA_RETENTION_DAYS)
    raw_days = Duration.days(config.raw_keep_days)
    rules = [
        s3.LifecycleRule(
            id="raw",
            prefix=names.lake_key_prefix(p, "raw"),
            noncurrent_version_expiration=raw_days,
            abort_incomplete_multipart_upload_after=abort,
        ),
        s3.LifecycleRule(
            id="raw-events-infrequent-access",
            prefix=names.firehose_prefix(p),
            transitions=[
                s3.Transition(
                    storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                    transition_after=Duration.days(INFREQUENT_ACCESS_AFTER_DAYS),
                )
            ],
        ),
    ]
    rules += [
        s3.LifecycleRule(
            id=zone,
            prefix=names.lake_key_prefix(p, zone),
            noncurrent_version_expiration=delta_days,
            abort_incomplete_multipart_upload_after=abort,
        )
        for zone in names.DELTA_ZONES
    ]
    rules.append(
        s3.LifecycleRule(
            id=names.ML_ZONE,
            prefix=names.lake_key_prefix(p, names.ML_ZONE),
            noncurrent_version_expiration=Duration.days(ML_NONCURRENT_DAYS),
            abort_incomplete_multipart_upload_after=abort,
        )
    )
    return rules


class StorageStack(Stack):
    def __init__(self, scope: Construct, config: Environment, **kwargs) -> None:
        super().__init__(scope, config.stack_name("storage"), **kwargs)
        removal = RemovalPolicy.RETAIN if config.deletion_protection else RemovalPolicy.DESTROY
        self.lake_key = kms.Key(
            self,
            "LakeKey",
            alias=f"lakehouse-{config.name}-lake",
            enable_key_rotation=True,
            description="The lake's objects, the metadata table and the event stream",
            removal_policy=removal,
        )
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # the only encryption log delivery takes
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(365), noncurrent_version_expiration=Duration.days(30)
                )
            ],
            removal_policy=removal,
        )
        accept(self.access_logs, "access-logs-not-logged")
        self.lake = s3.Bucket(
            self,
            "Lake",
            bucket_name=config.lake_bucket,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.lake_key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{config.lake_bucket}/",
            lifecycle_rules=zone_rules(config),
            removal_policy=removal,
        )
