"""The Dagster code location: every package's definitions, merged, with the profile's resources.

Each package exposes `defs` (a `Definitions`) in its `defs.py`; the profile (profile.py) adds
who writes the raw zone and the resources. Nothing here or below asks which profile it runs in.
"""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from platform_assets.catalog import defs as catalog
from platform_assets.curated import defs as curated
from platform_assets.dashboards import defs as dashboards
from platform_assets.events_lake import defs as events_lake
from platform_assets.maintenance import defs as maintenance
from platform_assets.metadata import defs as metadata
from platform_assets.ml import defs as ml
from platform_assets.observability import defs as observability
from platform_assets.observability.freshness import with_freshness_policies
from platform_assets.orchestration import defs as orchestration
from platform_assets.processed import defs as processed
from platform_assets.profile import raw_ingest_definitions, resources_for
from platform_assets.tables import defs as tables
from platform_assets.warehouse import defs as warehouse

# The main job: the whole data platform, raw to marts and dashboards. `make demo` runs it once
# without the UI, then `churn_ml` (ml/defs.py): ML is its own job, because training is a
# decision (a candidate may not be promoted) on its own cadence, and its `prod` half
# (SageMaker) is not part of the platform's first run.
lakehouse_pipeline = define_asset_job(
    "lakehouse_pipeline",
    selection=AssetSelection.all() - AssetSelection.groups(ml.GROUP),
    description="Full load / CDC capture, apply to processed Delta, curate, build the warehouse "
    "and the dashboards.",
)


def build_definitions() -> Definitions:
    """Definitions for the profile in the environment (tests call this after setting it), each
    zone asset with its contract's freshness policy (observability/freshness.py)."""
    merged = Definitions.merge(
        raw_ingest_definitions(),
        processed.defs,
        curated.defs,
        warehouse.defs,
        events_lake.defs,
        catalog.defs,
        metadata.defs,
        maintenance.defs,
        tables.defs,
        orchestration.defs,
        observability.defs,
        ml.defs,
        dashboards.defs,
        Definitions(
            jobs=[lakehouse_pipeline],
            resources=resources_for(),
            # steps here are short and the machine small: one process per run, no step spawns
            executor=in_process_executor,
        ),
    )
    return with_freshness_policies(merged)


defs = build_definitions()
