"""Dagster assets of the events path: the landed files (raw) and the daily-partitioned table.

`processed/events` is partitioned by event date (UTC days, today included). A run over a
partition range either rebuilds exactly those partitions from the landed files (the default:
a backfill from the UI or `dagster asset materialize --partition-range A...B`) or, when the
arrival sensor asks with `mode: incremental`, MERGEs only the events of newly landed files.
With `BackfillPolicy.single_run()` a range is one run, reading each landed file once.
Without a partition (the whole-graph job) it catches up on everything pending.
"""

import warnings
from datetime import UTC, date, datetime
from typing import Literal

import duckdb
from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    BetaWarning,
    Config,
    DailyPartitionsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from platform_assets.contracts.events import EVENTS
from platform_assets.events_lake import ingest, table
from platform_assets.resources import LakeResource
from platform_assets.storage.sql_text import sql_ident

EVENTS_PARTITIONS = DailyPartitionsDefinition(start_date=EVENTS.first_date, end_offset=1, timezone="UTC")
RAW_EVENTS_KEY = AssetKey(["raw", "events"])
PROCESSED_EVENTS_KEY = AssetKey(["processed", EVENTS.name])

raw_events = AssetSpec(
    RAW_EVENTS_KEY,
    group_name="raw",
    owners=[EVENTS.owner],
    kinds={"kinesis", "json"},
    description=f"{EVENTS.description} Kinesis Firehose format: gzip NDJSON under "
    f"raw/events/{EVENTS.stream}/YYYY/MM/DD/HH/ (the producer in `local`, "
    f"Firehose or the Kinesis consumer in `prod`).",
    metadata={"firehose_prefix": f"raw/events/{EVENTS.stream}/"},
)


class EventsRunConfig(Config):
    mode: Literal["rebuild", "incremental"] = "rebuild"


def _metadata(the_lake, r: ingest.IngestResult) -> dict:
    return {
        "path": table.uri(the_lake),
        "mode": r.mode,
        "event_dates": f"{r.first_day}..{r.last_day}",
        "delta_version": r.delta_version,
        "dagster/row_count": sum(r.rows_by_day.values()),
        "rows_by_event_date": MetadataValue.json(
            {d.isoformat(): n for d, n in r.rows_by_day.items() if n or r.mode == "rebuild"}
        ),
        "files_read": r.files_read,
        "records_read": r.records_read,
        "valid_events": r.valid_events,
        "duplicates_dropped": r.valid_events - r.distinct_events,
        "rows_inserted": r.rows_inserted,
        "event_id_date_conflicts": r.date_conflicts,
        "event_id_date_conflict_examples": MetadataValue.json(r.date_conflict_examples),
        "records_quarantined": r.quarantined,
        "quarantine_reasons": MetadataValue.json(dict(r.quarantine_reasons)),
        "events_per_second": round(r.records_read / r.seconds) if r.seconds else 0,
    }


# single-run backfills are what make a range one MERGE/overwrite; the parameter is "beta"
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=BetaWarning)


@asset(
    key=PROCESSED_EVENTS_KEY,
    deps=[RAW_EVENTS_KEY],
    partitions_def=EVENTS_PARTITIONS,
    backfill_policy=BackfillPolicy.single_run(),
    group_name="processed",
    owners=[EVENTS.owner],
    kinds={"delta"},
    description=f"{EVENTS.description} One row per event id, partitioned by event date; "
    f"late events land in their own date's partition.",
    metadata={"primary_key": EVENTS.key, "partitioned_by": EVENTS.partition_column},
)
def processed_events(
    context: AssetExecutionContext, config: EventsRunConfig, lake: LakeResource
) -> MaterializeResult:
    the_lake = lake.lake()
    if context.has_partition_key_range:
        keys = context.partition_key_range
        first, last = date.fromisoformat(keys.start), date.fromisoformat(keys.end)
        run = ingest.rebuild if config.mode == "rebuild" else ingest.incremental
        result = run(the_lake, first, last)
    else:
        context.log.info("no partition given: catching up on every pending landed file")
        result = ingest.catch_up(the_lake, today=datetime.now(UTC).date())
    if result.quarantined:
        context.log.warning(
            f"{result.quarantined} records quarantined under "
            f"raw/_quarantine/events/{EVENTS.stream}/: "
            f"{dict(result.quarantine_reasons)}"
        )
    if result.date_conflicts:
        context.log.warning(
            f"{result.date_conflicts} event ids arrived with event times on "
            f"different dates; the first landed copy of each is stored, e.g. "
            f"{', '.join(result.date_conflict_examples)}"
        )
    return MaterializeResult(metadata=_metadata(the_lake, result))


@asset_check(
    asset=PROCESSED_EVENTS_KEY,
    name="event_ids_unique",
    blocking=True,
    description="Each event id is stored once across all partitions: no duplicate "
    "survived, not even one on another date.",
)
def event_ids_unique(lake: LakeResource) -> AssetCheckResult:
    dt = table.open_table(lake.lake())
    if dt is None:
        return AssetCheckResult(passed=True, metadata={"rows": 0})
    data = dt.to_pyarrow_dataset()  # noqa: F841 - read by DuckDB below
    with duckdb.connect() as db:
        query = f"SELECT count(*), count(DISTINCT {sql_ident(EVENTS.key)}) FROM data"  # noqa: S608 -- identifiers quoted by sql_ident()
        rows, distinct = db.execute(query).fetchone()
    return AssetCheckResult(passed=rows == distinct, metadata={"rows": rows, "duplicates": rows - distinct})
