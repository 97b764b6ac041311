"""Daily partitions of the incremental facts, and the `--vars` a partitioned run passes to dbt.

A partition is a UTC day of order placement (`order_date`, the facts' clustering key). Running
a partition (or, with the single-run backfill policy, a range of them) re-derives the orders
placed in that window and applies every change loaded since the last run; running without a
partition (a CDC run) applies the changes only. The start is the first day the shop has
orders (the seed's epoch); earlier orders are still in the facts, just in no window.

The demo runs the facts as one single-run backfill over `backfill_range`, from the first to
the last day of the curated orders not yet recorded, so Dagster records a materialization for
each of those partitions and the UI shows them filled (a run without a partition fills none).
Once every day is recorded, a rerun applies the changes only, as a CDC run does.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
from dagster import AssetExecutionContext, BackfillPolicy, DailyPartitionsDefinition, PartitionKeyRange
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from platform_assets.contracts.shop import ORDERS
from platform_assets.lake import Lake
from platform_assets.orchestration.run_tags import is_cdc_run
from platform_assets.storage.delta import open_table

FACT_PARTITIONS = DailyPartitionsDefinition(start_date="2025-11-01", end_offset=1)
FACT_BACKFILL = BackfillPolicy.single_run()  # a backfill of N days is one dbt run


def window_vars(context: AssetExecutionContext) -> dict[str, str] | None:
    """{window_start, window_end} (ISO dates, end exclusive) of a partitioned run, else None.

    None too in a sensor's CDC run: it names today's partition so Dagster tracks the facts as
    updated, but it applies the changes loaded for any day and re-derives no window.
    """
    if not (context.has_partition_key or context.has_partition_key_range):
        return None
    if is_cdc_run(context):
        return None
    window = context.partition_time_window
    return {"window_start": window.start.date().isoformat(), "window_end": window.end.date().isoformat()}


def backfill_range(days: Iterable[date], materialized: Set[str]) -> PartitionKeyRange | None:
    """The facts' partitions from the first to the last of `days` (UTC days holding orders) not
    yet in `materialized`, among the partitions that exist (orders before the start are in no
    window; today's partition is the last); None when there is no such day. Days without
    orders inside the range are derived too (empty) and recorded with it."""
    keys = set(FACT_PARTITIONS.get_partition_keys())
    todo = sorted(k for k in {d.isoformat() for d in days} if k in keys and k not in materialized)
    return PartitionKeyRange(todo[0], todo[-1]) if todo else None


def order_days(lake: Lake) -> set[date]:
    """The UTC days on which the curated zone's orders were placed (the facts' partition
    column); empty without orders. Read a batch at a time and reduced to days in Arrow: the
    timestamps of 10M orders as Python objects took 1.4 GiB (bench/results/main_job_scale.md)."""
    dt = open_table(lake, "curated", ORDERS.name)
    if dt is None:
        return set()
    (column,) = ORDERS.clustering
    days: set[date] = set()
    for batch in dt.to_pyarrow_dataset().to_batches(columns=[column]):
        days.update(pc.unique(_utc_days(batch[column])).drop_null().to_pylist())
    return days


def _utc_days(placed: pa.Array) -> pa.Array:
    """Each timestamp's UTC day (the lake stores UTC; a zone-less timestamp is read as UTC)."""
    if placed.type.tz is not None:  # a date cast takes the day in the column's zone: make it UTC
        placed = placed.cast(pa.timestamp(placed.type.unit, tz="UTC"))
    return placed.cast(pa.date32())


def range_tags(keys: PartitionKeyRange) -> dict[str, str]:
    """Run tags that make one run a single-run backfill of `keys` (what the UI's backfill sets)."""
    return {ASSET_PARTITION_RANGE_START_TAG: keys.start, ASSET_PARTITION_RANGE_END_TAG: keys.end}
