"""Daily partitions of the incremental facts, and the `--vars` a partitioned run passes to dbt.

A partition is a UTC day of order placement (`order_date`, the facts' clustering key). Running
a partition (or, with the single-run backfill policy, a range of them) re-derives the orders
placed in that window and applies every change loaded since the last run; running without a
partition (the main job) applies the changes only. The start is the first day the shop has
orders (the seed's epoch); earlier orders are still in the facts, just in no window.
"""

from __future__ import annotations

from dagster import AssetExecutionContext, BackfillPolicy, DailyPartitionsDefinition

from platform_assets.orchestration.run_tags import is_cdc_run

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
