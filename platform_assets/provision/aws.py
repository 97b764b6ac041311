"""The AWS side of `prod`: the lake bucket, the metadata table, the event stream, Glue databases.

Each step looks first and creates only what is missing, so a second run creates nothing. What
the platform relies on is switched on when found off: the bucket's versioning (a deleted or
overwritten raw file can be recovered) and default encryption, the table's stream (the
metadata store's change feed). A found resource that cannot serve (a metadata table with
another key schema) is an error naming it. CloudWatch needs nothing: metrics create their
namespace. Every call goes through the profile's AWS settings (timeouts, bounded retries), and
a failure names the service and the resource.
"""

from __future__ import annotations

import time

from botocore.exceptions import ClientError

from platform_assets.catalog.describe import database_name
from platform_assets.provision.report import ProvisionError, ProvisionReport, calling
from platform_assets.provision.settings import ProvisionSettings
from platform_assets.tables.refs import DELTA_ZONES

# the key schema platform_assets/metadata/dynamo_store.py reads and writes
METADATA_KEYS = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
METADATA_ATTRIBUTES = [
    {"AttributeName": "pk", "AttributeType": "S"},
    {"AttributeName": "sk", "AttributeType": "S"},
]
METADATA_STREAM = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
ACTIVE_WAIT_S = 120


def _wait_active(what: str, status) -> None:
    deadline = time.monotonic() + ACTIVE_WAIT_S
    while status() != "ACTIVE":
        if time.monotonic() > deadline:
            raise ProvisionError(f"{what} is not ACTIVE after {ACTIVE_WAIT_S} s")
        time.sleep(0.5)


def ensure_bucket(s3, bucket: str, region: str | None, report: ProvisionReport) -> None:
    what = f"S3 bucket {bucket!r}"
    with calling("S3", f"bucket {bucket!r}"):
        try:
            s3.head_bucket(Bucket=bucket)
            exists = True
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket"):
                raise
            exists = False
        if not exists:
            kwargs = (
                {}
                if region in (None, "us-east-1")
                else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            )
            s3.create_bucket(Bucket=bucket, **kwargs)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            _put_encryption(s3, bucket)
            report.created.append(what)
            return
        changed = []
        if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            changed.append("versioning")
        if not _has_encryption(s3, bucket):
            _put_encryption(s3, bucket)
            changed.append("default encryption")
        (report.updated if changed else report.found).append(
            what + (f" ({', '.join(changed)} switched on)" if changed else "")
        )


def _put_encryption(s3, bucket: str) -> None:
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )


def _has_encryption(s3, bucket: str) -> bool:
    try:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
        return bool(rules.get("Rules"))
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ServerSideEncryptionConfigurationNotFoundError":
            return False
        raise


def ensure_metadata_table(ddb, table: str, report: ProvisionReport) -> None:
    what = f"DynamoDB table {table!r}"
    with calling("DynamoDB", f"table {table!r}"):
        try:
            desc = ddb.describe_table(TableName=table)["Table"]
        except ddb.exceptions.ResourceNotFoundException:
            ddb.create_table(
                TableName=table,
                BillingMode="PAY_PER_REQUEST",
                KeySchema=METADATA_KEYS,
                AttributeDefinitions=METADATA_ATTRIBUTES,
                StreamSpecification=METADATA_STREAM,
            )
            _wait_active(what, lambda: ddb.describe_table(TableName=table)["Table"]["TableStatus"])
            report.created.append(what)
            return
        if sorted(desc["KeySchema"], key=str) != sorted(METADATA_KEYS, key=str):
            raise ProvisionError(
                f"{what} has the key schema {desc['KeySchema']}; the metadata "
                "store needs pk (HASH, string) and sk (RANGE, string)"
            )
        stream = desc.get("StreamSpecification") or {}
        if stream.get("StreamEnabled") and stream.get("StreamViewType") != METADATA_STREAM["StreamViewType"]:
            raise ProvisionError(
                f"{what} streams {stream.get('StreamViewType')}; the metadata "
                "store reads NEW_AND_OLD_IMAGES (disable its stream first)"
            )
        if not stream.get("StreamEnabled"):
            ddb.update_table(TableName=table, StreamSpecification=METADATA_STREAM)
            report.updated.append(what + " (stream switched on)")
            return
        report.found.append(what)


def ensure_stream(kinesis, stream: str, shards: int, report: ProvisionReport) -> None:
    what = f"Kinesis stream {stream!r}"
    with calling("Kinesis", f"stream {stream!r}"):
        try:
            kinesis.describe_stream_summary(StreamName=stream)
            report.found.append(what)
            return
        except kinesis.exceptions.ResourceNotFoundException:
            pass
        kinesis.create_stream(StreamName=stream, ShardCount=shards)
        _wait_active(
            what,
            lambda: kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"][
                "StreamStatus"
            ],
        )
        report.created.append(what)


def ensure_glue_database(glue, name: str, report: ProvisionReport) -> None:
    what = f"Glue database {name!r}"
    with calling("Glue", f"database {name!r}"):
        try:
            glue.get_database(Name=name)
            report.found.append(what)
            return
        except glue.exceptions.EntityNotFoundException:
            pass
        try:
            glue.create_database(
                DatabaseInput={"Name": name, "Description": "Delta tables of the lakehouse (catalog/)"}
            )
            report.created.append(what)
        except glue.exceptions.AlreadyExistsException:
            report.found.append(what)  # created meanwhile by someone else


def provision_aws(settings: ProvisionSettings) -> ProvisionReport:
    """Create what is missing of the bucket, table, stream and Glue databases; report all."""
    report = ProvisionReport()
    aws = settings.aws
    ensure_bucket(aws.client("s3"), settings.bucket, aws.region_name, report)
    ensure_metadata_table(aws.client("dynamodb"), settings.metadata_table, report)
    ensure_stream(aws.client("kinesis"), settings.events_stream, settings.events_shards, report)
    glue = aws.client("glue")
    for zone in DELTA_ZONES:
        ensure_glue_database(glue, database_name(settings.glue_database_prefix, zone), report)
    return report
