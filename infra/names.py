"""What the infrastructure takes from the platform: names, layouts, formats, retention.

The only module of infra/ that imports platform_assets, so it is plain where each value comes
from and nothing is restated. Defaults are the declared ones (platform_assets/variables.py),
not whatever the synthesizing shell has set: synthesis gives the same templates everywhere.
"""

from __future__ import annotations

from platform_assets.catalog.describe import database_name
from platform_assets.contracts import CONTRACTS
from platform_assets.contracts.events import EVENTS
from platform_assets.lake import ML_ZONE, ZONES, Lake
from platform_assets.observability.processed_metrics import LAG
from platform_assets.provision.aws import METADATA_ATTRIBUTES, METADATA_KEYS, METADATA_STREAM
from platform_assets.raw import dms_settings, firehose_layout
from platform_assets.tables.refs import DELTA_ZONES
from platform_assets.variables import declared

__all__ = ["CONTRACTS", "DELTA_ZONES", "EVENTS", "LAG", "ML_ZONE", "ZONES", "dms_settings"]


def default(variable: str) -> str:
    value = declared(variable).default
    if value is None:
        raise ValueError(f"{variable} has no declared default in platform_assets/variables.py")
    return value


METADATA_TABLE = default("PLATFORM_METADATA_TABLE")
EVENTS_STREAM = default("PLATFORM_EVENTS_STREAM")
EVENTS_SHARDS_DEFAULT = default("PLATFORM_EVENTS_SHARDS")
GLUE_DATABASE_PREFIX = default("PLATFORM_GLUE_DATABASE_PREFIX")
METRICS_NAMESPACE = default("PLATFORM_METRICS_NAMESPACE")
RAW_KEEP_DAYS_DEFAULT = default("PLATFORM_RAW_KEEP_DAYS")

# the metadata table's keys and stream, as provisioning creates them (provision/aws.py)
METADATA_KEY_SCHEMA = {k["KeyType"]: k["AttributeName"] for k in METADATA_KEYS}  # HASH, RANGE
METADATA_KEY_TYPES = {a["AttributeName"]: a["AttributeType"] for a in METADATA_ATTRIBUTES}
METADATA_STREAM_VIEW = METADATA_STREAM["StreamViewType"]

# the longest time travel a contract promises: VACUUM keeps removed files this long
DELTA_RETENTION_DAYS = max(-(-c.vacuum_retention_hours // 24) for c in CONTRACTS.values())

# the Firehose transform: the platform's own handler (streams/transform.py)
TRANSFORM_MODULE = "platform_assets.streams.transform"
TRANSFORM_HANDLER = f"{TRANSFORM_MODULE}.lambda_handler"
FIREHOSE_FILE_EXTENSION = firehose_layout.SUFFIXES[0]  # .json.gz: gzip NDJSON


def glue_database(zone: str) -> str:
    return database_name(GLUE_DATABASE_PREFIX, zone)


def lake_key_prefix(lake_prefix: str, *parts: str) -> str:
    """An S3 key prefix inside the lake's bucket (with a trailing slash), by the lake's rules."""
    uri = Lake(f"s3://bucket/{lake_prefix}").uri(*parts)
    return uri[len("s3://bucket/") :].strip("/") + "/"


def raw_cdc_prefix(lake_prefix: str) -> str:
    return lake_key_prefix(lake_prefix, *dms_settings.TARGET_FOLDER)


def firehose_prefix(lake_prefix: str) -> str:
    """Where Firehose delivers the clickstream; it appends YYYY/MM/DD/HH/ itself (UTC)."""
    uri = firehose_layout.stream_prefix(Lake(f"s3://bucket/{lake_prefix}"), EVENTS.stream)
    return uri[len("s3://bucket/") :] + "/"


def firehose_error_prefix(lake_prefix: str) -> str:
    """Records the transform rejected, beside the platform's own event quarantine."""
    uri = firehose_layout.quarantine_prefix(Lake(f"s3://bucket/{lake_prefix}"), EVENTS.stream)
    return uri[len("s3://bucket/") :] + "/firehose/"
