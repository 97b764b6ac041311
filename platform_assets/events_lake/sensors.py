"""`event_files_sensor`: newly landed event files request the partitions they can feed.

The cursor holds a frontier (the greatest key seen) and the keys of the last few arrival
hours. Each tick lists keys after the frontier, page by page (S3 `list_objects_v2` with
StartAfter; never the whole history), and re-lists the unsettled hours for keys that a
parallel writer landed behind the frontier. The run request covers the event dates the new
files can hold (contract arrival window), in `incremental` mode; its run key is a digest of
exactly those files, so a repeated tick launches nothing twice.
"""

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from platform_assets.contracts.events import EVENTS
from platform_assets.events_lake.assets import PROCESSED_EVENTS_KEY
from platform_assets.events_lake.window import possible_dates
from platform_assets.lake import Lake
from platform_assets.raw.firehose_layout import LandedFile, list_after, list_hours
from platform_assets.resources import LakeResource

SETTLE_HOURS = 2  # hours behind the frontier re-listed for late keys
MAX_FILES_PER_TICK = 5000
OP_NAME = "__".join(PROCESSED_EVENTS_KEY.path)
# Dagster's run tags for a partition range (dagster._core.storage.tags; public as strings)
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def _hour_of_key(key: str) -> datetime:
    y, m, d, h = key.split("/")[:4]
    return datetime(int(y), int(m), int(d), int(h), tzinfo=UTC)


def new_landed_files(lake: Lake, cursor: dict) -> tuple[list[LandedFile], dict]:
    """Files not seen before, and the next cursor."""
    frontier: str = cursor.get("frontier", "")
    recent: set[str] = set(cursor.get("recent", []))
    ahead = list_after(lake, EVENTS.stream, after=frontier, limit=MAX_FILES_PER_TICK)
    behind: list[LandedFile] = []
    if frontier:
        top = _hour_of_key(ahead[-1].key if ahead else frontier)
        settle_from = top - timedelta(hours=SETTLE_HOURS)
        behind = [
            f
            for f in list_hours(lake, EVENTS.stream, settle_from, _hour_of_key(frontier) + timedelta(hours=1))
            if f.key <= frontier and f.key not in recent
        ]
    new = behind + ahead
    frontier = max([frontier, *(f.key for f in ahead)])
    if frontier:
        settle_from = _hour_of_key(frontier) - timedelta(hours=SETTLE_HOURS)
        recent = {k for k in recent | {f.key for f in new} if _hour_of_key(k) >= settle_from}
    return new, {"frontier": frontier, "recent": sorted(recent)}


def partition_range(files: list[LandedFile], today: date) -> tuple[date, date] | None:
    """The event dates the files can hold, within the partitions that exist."""
    first_partition = date.fromisoformat(EVENTS.first_date)
    spans = [possible_dates(EVENTS, f.hour) for f in files]
    lo = max(min(s[0] for s in spans), first_partition)
    hi = min(max(s[1] for s in spans), today)
    return (lo, hi) if lo <= hi else None


def run_request(files: list[LandedFile], today: date) -> RunRequest | None:
    span = partition_range(files, today)
    if span is None:
        return None
    lo, hi = span
    digest = hashlib.sha256("\n".join(sorted(f.key for f in files)).encode()).hexdigest()[:20]
    return RunRequest(
        run_key=f"events:{len(files)}:{digest}",
        asset_selection=[PROCESSED_EVENTS_KEY],
        run_config={"ops": {OP_NAME: {"config": {"mode": "incremental"}}}},
        tags={
            RANGE_START: lo.isoformat(),
            RANGE_END: hi.isoformat(),
            "lakehouse/trigger": "event_files",
            "lakehouse/files": f"{files[0].key} .. {files[-1].key}",
        },
    )


@sensor(
    name="event_files_sensor",
    minimum_interval_seconds=30,
    asset_selection=[PROCESSED_EVENTS_KEY],
    default_status=DefaultSensorStatus.RUNNING,
    description="Watches raw/events/ for newly landed Firehose files and requests the "
    "event-date partitions they can feed (incremental MERGE).",
)
def event_files_sensor(context: SensorEvaluationContext, lake: LakeResource):
    cursor = json.loads(context.cursor) if context.cursor else {}
    files, cursor = new_landed_files(lake.lake(), cursor)
    if not files:
        return SensorResult(skip_reason=SkipReason("no newly landed event files"), cursor=json.dumps(cursor))
    request = run_request(files, datetime.now(UTC).date())
    if request is None:
        return SensorResult(
            skip_reason=SkipReason(f"{len(files)} files hold no date with a partition"),
            cursor=json.dumps(cursor),
        )
    return SensorResult(run_requests=[request], cursor=json.dumps(cursor))
