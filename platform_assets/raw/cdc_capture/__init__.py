"""Postgres change data capture into the raw zone, in AWS DMS's S3 CDC format.

The local stand-in for a DMS replication task: a `pgoutput` logical replication slot is
peeked, decoded (pgoutput.py), written one Parquet file per table per batch (writer.py), and
only then advanced (slot.py, capture.py). A real DMS task can replace it file for file.
"""

from platform_assets.raw.cdc_capture.capture import (
    CaptureResult,
    capture_once,
    capture_until_empty,
    run_continuously,
)
from platform_assets.raw.cdc_capture.slot import (
    advance_slot,
    drop_replication,
    ensure_replication,
    peek_changes,
    pending_changes,
)

__all__ = [
    "CaptureResult",
    "advance_slot",
    "capture_once",
    "capture_until_empty",
    "drop_replication",
    "ensure_replication",
    "peek_changes",
    "pending_changes",
    "run_continuously",
]
