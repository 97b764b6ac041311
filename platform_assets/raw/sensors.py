"""Drives the local CDC capture: when the replication slot has changes, run the capture.

The check peeks one change (cheap); the run key is the slot's confirmed position, so while a
capture run is pending or running, repeated ticks request nothing new.
"""


from dagster import AssetKey, DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from platform_assets.contracts import CONTRACTS
from platform_assets.raw.assets import PUBLICATION, SLOT
from platform_assets.resources import OltpResource


# The capture run also applies and curates: one run launch instead of three, which is most
# of the latency on a small machine; a table with nothing pending is a no-op in both steps.
# dbt models follow through their eager automation condition.
@sensor(name="cdc_capture_sensor", minimum_interval_seconds=5,
        asset_selection=[AssetKey([zone, c.name]) for zone in ("raw", "processed", "curated")
                         for c in CONTRACTS.values()],
        default_status=DefaultSensorStatus.RUNNING,
        description="Requests a CDC capture when the pgoutput slot holds unread changes.")
def cdc_capture_sensor(context: SensorEvaluationContext, oltp: OltpResource):
    from platform_assets.raw.cdc_capture.slot import pending_changes, slot_position

    with oltp.connect(autocommit=True) as conn:
        position = slot_position(conn, SLOT)
        if position is None:
            return SkipReason(f"no replication slot {SLOT!r} yet: materialize the raw assets once")
        if not pending_changes(conn, SLOT, PUBLICATION):
            return SkipReason("no changes pending in the slot")
        wal_end = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
    # a failed capture is retried once more WAL arrives; identical ticks request nothing
    return RunRequest(run_key=f"capture-{position}-{wal_end}", tags={"lakehouse/trigger": "cdc"})
