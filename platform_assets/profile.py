"""The composition root's one decision: which resources and raw-zone writer a profile gets.

`PLATFORM_ENV=local|prod` is read in `settings.current_profile`; this module turns it into the
resource dictionary and the raw ingest definitions. Nothing else in the code asks which
profile it runs in: everything receives the resources chosen here (the pattern of
hooli-data-eng-pipelines' per-environment resource dicts).
"""

from __future__ import annotations

from dagster import Definitions

from platform_assets.settings import current_profile, locations


def raw_ingest_definitions(profile: str | None = None) -> Definitions:
    """Who writes the raw zone: the platform's own capture (local) or an AWS DMS task (prod).

    Either way the files are the same; in `prod` the raw assets are external specs that the
    raw-file sensor observes, and there is nothing to capture.
    """
    from platform_assets.contracts import CONTRACTS
    from platform_assets.orchestration.capture_sensor import cdc_capture_sensor
    from platform_assets.raw.assets import dms_replication, raw_spec
    from platform_assets.streaming.job import cdc_stream

    if (profile or current_profile()) == "local":  # the stream captures from the local slot too
        return Definitions(assets=[dms_replication], sensors=[cdc_capture_sensor], jobs=[cdc_stream])
    return Definitions(assets=[raw_spec(c) for c in CONTRACTS.values()])


def resources_for(profile: str | None = None) -> dict:
    """The resource dictionary of a profile.

    Every `prod` setting is a variable declared in variables.py (read there as `EnvVar`s); the
    AWS ones (region, endpoint, optional keys, timeouts, retries) are `aws_settings()`, given
    alike to every resource that reaches AWS.
    """
    from platform_assets.aws import aws_settings
    from platform_assets.catalog import CatalogResource
    from platform_assets.dashboards.reader import DuckDBMartReader, SnowflakeMartReader
    from platform_assets.dashboards.site import DashboardSite
    from platform_assets.metadata.resources import MetadataStoreResource
    from platform_assets.ml.trainer import MlTrainer
    from platform_assets.observability.alerts import AlertResource
    from platform_assets.observability.metrics import MetricsResource
    from platform_assets.processed.compute.engine import ProcessedEngine
    from platform_assets.resources import LakeResource, OltpResource
    from platform_assets.sources.events.resources import EventStreamResource
    from platform_assets.variables import env, value
    from platform_assets.warehouse.resources import curated_loader_resource, dbt_resource, snowflake_resource

    profile = profile or current_profile()
    loc = locations()
    alerts = AlertResource(webhook_url=env("PLATFORM_ALERT_WEBHOOK_URL"))
    if profile == "local":
        return {
            "lake": LakeResource(root=str(loc.lake_root)),
            "oltp": OltpResource(data_dir=str(loc.oltp_data_dir), dsn=value("PLATFORM_OLTP_DSN")),
            "dbt": dbt_resource(target="local"),
            "warehouse_loader": curated_loader_resource("local"),
            "catalog": CatalogResource(kind="local", path=str(loc.catalog_path)),
            "metadata_store": MetadataStoreResource(kind="sqlite", sqlite_path=str(loc.metadata_path)),
            "events": EventStreamResource(sink="files"),
            "metrics": MetricsResource(kind="log"),
            "alerts": alerts,
            "processed_engine": ProcessedEngine(),  # delta-rs, in process
            "ml_trainer": MlTrainer(
                kind="local", home=str(loc.home), tracking_uri=value("PLATFORM_MLFLOW_TRACKING_URI")
            ),
            "marts_reader": DuckDBMartReader(path=str(loc.warehouse_path)),
            "dashboard_site": DashboardSite(root=str(loc.dashboards_dir)),
        }
    aws = aws_settings()
    return {
        "lake": LakeResource(root=env("PLATFORM_LAKE_URI"), **aws),
        "oltp": OltpResource(data_dir=str(loc.oltp_data_dir), dsn=env("PLATFORM_OLTP_DSN")),
        "dbt": dbt_resource(target="prod"),
        "warehouse_loader": curated_loader_resource("prod"),
        "catalog": CatalogResource(kind="glue", database_prefix=env("PLATFORM_GLUE_DATABASE_PREFIX"), **aws),
        "metadata_store": MetadataStoreResource(
            kind="dynamodb", table_name=env("PLATFORM_METADATA_TABLE"), **aws
        ),
        "events": EventStreamResource(sink="kinesis", stream_name=env("PLATFORM_EVENTS_STREAM"), **aws),
        "metrics": MetricsResource(kind="cloudwatch", namespace=env("PLATFORM_METRICS_NAMESPACE"), **aws),
        "alerts": alerts,
        "processed_engine": ProcessedEngine(
            kind=value("PLATFORM_PROCESSED_ENGINE"),
            databricks_host=env("PLATFORM_DATABRICKS_HOST"),
            databricks_token=env("PLATFORM_DATABRICKS_TOKEN"),
            job_python_file=value("PLATFORM_DATABRICKS_JOB_FILE"),
            wheel=value("PLATFORM_DATABRICKS_WHEEL"),
        ),
        "ml_trainer": MlTrainer(
            kind="sagemaker",
            home=str(loc.home),
            tracking_uri=env("PLATFORM_MLFLOW_TRACKING_URI"),
            role_arn=env("PLATFORM_SAGEMAKER_ROLE_ARN"),
            image_uri=env("PLATFORM_SAGEMAKER_IMAGE_URI"),
            instance_type=env("PLATFORM_SAGEMAKER_INSTANCE_TYPE"),
            **aws,
        ),
        "marts_reader": SnowflakeMartReader(snowflake=snowflake_resource()),
        "dashboard_site": DashboardSite(root=env("PLATFORM_LAKE_URI"), folder="dashboards", **aws),
    }
