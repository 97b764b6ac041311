"""Drives the local CDC capture: when the replication slot has changes, run the capture and
the freshness chain of the tables that changed (cdc_chain.py), in one run.

The check peeks the slot's Relation messages (cheap) to learn which tables changed. While a
capture run waits to start, ticks request nothing more: it will capture whatever arrives
meanwhile. While a CDC stream runs (streaming/), it owns the slot: ticks request nothing.
"""

from dagster import (
    AssetKey,
    AssetSelection,
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from platform_assets.contracts import CONTRACTS
from platform_assets.orchestration.cdc_chain import (
    IN_FLIGHT,
    NOT_YET_STARTED,
    cdc_runs,
    chain_run,
    chain_selection,
)
from platform_assets.orchestration.run_tags import TRIGGER_TAG
from platform_assets.raw.assets import PUBLICATION, SLOT
from platform_assets.resources import LakeResource, OltpResource
from platform_assets.streaming.names import STREAM_TRIGGER

RAW_KEYS = [AssetKey(["raw", name]) for name in CONTRACTS]


@sensor(
    name="cdc_capture_sensor",
    minimum_interval_seconds=3,
    asset_selection=AssetSelection.assets(*RAW_KEYS) | chain_selection(CONTRACTS),
    default_status=DefaultSensorStatus.RUNNING,
    description="Requests a CDC capture, and the refresh of the changed tables down to the "
    "facts, when the pgoutput slot holds unread changes.",
)
def cdc_capture_sensor(context: SensorEvaluationContext, oltp: OltpResource, lake: LakeResource):
    from platform_assets.raw.cdc_capture.slot import pending_tables, slot_position
    from platform_assets.raw.cdc_capture.slot_record import RECOVERY, read_record

    streaming = cdc_runs(context.instance, IN_FLIGHT, triggers=[STREAM_TRIGGER])
    if streaming:
        return SkipReason(f"stream run {streaming[0].run_id} is capturing and refreshing the changes")
    with oltp.connect(autocommit=True) as conn:
        position = slot_position(conn, SLOT)
        if position is None:
            if read_record(lake.lake(), SLOT) is not None:  # it fed the lake once: lost, not new
                return SkipReason(f"replication slot {SLOT!r} is gone; {RECOVERY}")
            return SkipReason(f"no replication slot {SLOT!r} yet: materialize the raw assets once")
        changed = pending_tables(conn, SLOT, PUBLICATION)
        if not changed and changed is not None:
            return SkipReason("no changes pending in the slot")
        wal_end = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
    waiting = cdc_runs(context.instance, NOT_YET_STARTED, triggers=["cdc"])
    if waiting:
        return SkipReason(
            f"capture run {waiting[0].run_id} has not started yet; it will capture these changes"
        )
    tables = sorted(changed) if changed is not None else sorted(CONTRACTS)
    # the capture writes every table's changes; the chain covers the tables that changed
    return RunRequest(
        run_key=f"capture-{position}-{wal_end}",  # a failed capture is retried on new WAL
        **chain_run(context.repository_def.asset_graph, tables, also=RAW_KEYS),
        tags={TRIGGER_TAG: "cdc"},
    )
