"""Each zone's health in one report (`lakehouse status`): what an operator asks first at night.

Per contract table: raw files waiting and how old the oldest is, quarantined files, how far the
processed table's applied changes are behind now (the watermark's commit time), how many
processed versions the curated table has not read; per asset: its last materialization and
failing checks, from the Dagster instance; the replication slot's retained WAL. Every line has
a state: `ok`, `warn` (behind the contract's freshness SLA, waiting files), `fail` (quarantined
files, a failing check, a missing table, a slot holding WAL past the limit), or `unknown`
(with the reason: never a silent skip).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from platform_assets.contracts.model import TableContract
from platform_assets.lake import Lake

OK, WARN, FAIL, UNKNOWN = "ok", "warn", "fail", "unknown"
_RANK = {OK: 0, UNKNOWN: 1, WARN: 2, FAIL: 3}
# a slot that holds more WAL than this is a disk filling up on the source: the capture is stuck
SLOT_WAL_FAIL_BYTES = 1 << 30


@dataclass(frozen=True)
class Health:
    zone: str  # raw, processed, curated, dagster, source
    subject: str  # a table, an asset key, a slot
    state: str
    detail: str


def worst(items: Iterable[Health]) -> str:
    return max((h.state for h in items), key=_RANK.__getitem__, default=OK)


def _age(then: datetime, now: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


def watermark_time(watermark: str) -> datetime | None:
    """The source commit time a processed watermark has reached (raw/positions.py: a CDC
    position is `1` + 17 digits of microseconds since 1970); None for a full load's."""
    from platform_assets.raw.positions import CDC, COMMIT_WIDTH

    if not watermark.startswith(CDC) or not watermark[1 : 1 + COMMIT_WIDTH].isdigit():
        return None
    return datetime.fromtimestamp(int(watermark[1 : 1 + COMMIT_WIDTH]) / 1e6, UTC)


def _raw(lake: Lake, c: TableContract, now: datetime) -> list[Health]:
    from platform_assets.processed import applied_log
    from platform_assets.raw.dms_layout import cdc_file_time
    from platform_assets.raw.files import list_quarantined, list_table_folder

    files, unrecognized = list_table_folder(lake, c.schema, c.name)
    done = applied_log.applied_files(lake, c.name)
    pending = [f for f in files if f.name not in done]
    out = []
    if pending:
        times = [t for f in pending if (t := cdc_file_time(f)) is not None]
        oldest = min(times) if times else None
        late = oldest is not None and now - oldest > timedelta(minutes=c.freshness_sla_minutes)
        out.append(
            Health(
                "raw",
                c.name,
                WARN if late or oldest is None else OK,
                f"{len(pending)} files waiting"
                + (f", oldest {_age(oldest, now)} old" if oldest else " (full load)"),
            )
        )
    else:
        out.append(Health("raw", c.name, OK, f"{len(files)} files, all applied"))
    if unrecognized:
        out.append(Health("raw", c.name, FAIL, f"{len(unrecognized)} files not in DMS's format"))
    quarantined = list_quarantined(lake, c.schema, c.name)
    if quarantined:
        see = f"lakehouse quarantine list --table {c.name}"
        out.append(Health("raw", c.name, FAIL, f"{len(quarantined)} quarantined: {see}"))
    return out


def _processed(lake: Lake, c: TableContract, now: datetime) -> list[Health]:
    from platform_assets.curated.refresh import SOURCE_VERSION_KEY
    from platform_assets.processed.delta import WATERMARK_KEY
    from platform_assets.storage.delta import committed_value, open_table

    dt = open_table(lake, "processed", c.name)
    if dt is None:
        return [Health("processed", c.name, FAIL, "no Delta table: nothing applied yet")]
    reached = watermark_time(committed_value(lake, dt, WATERMARK_KEY))
    sla = timedelta(minutes=c.freshness_sla_minutes)
    if reached is None:
        processed = Health("processed", c.name, OK, f"version {dt.version()}, full load only")
    else:
        lag = now - reached
        processed = Health(
            "processed",
            c.name,
            WARN if lag > sla else OK,
            f"version {dt.version()}, changes applied up to {reached:%Y-%m-%d %H:%M:%S} UTC "
            f"({_age(reached, now)} ago; SLA {c.freshness_sla_minutes} min)",
        )
    cur = open_table(lake, "curated", c.name)
    if cur is None:
        return [processed, Health("curated", c.name, FAIL, "no Delta table: not curated yet")]
    synced = int(committed_value(lake, cur, SOURCE_VERSION_KEY, "-1"))
    behind = dt.version() - synced
    curated = Health(
        "curated",
        c.name,
        OK if behind <= 0 else WARN,
        f"version {cur.version()}, read processed version {synced}"
        + (f" ({behind} behind)" if behind > 0 else " (up to date)"),
    )
    return [processed, curated]


def lake_health(
    lake: Lake, contracts: Mapping[str, TableContract], now: datetime | None = None
) -> list[Health]:
    now = now or datetime.now(UTC)
    out: list[Health] = []
    for c in contracts.values():
        out += _raw(lake, c, now)
        out += _processed(lake, c, now)
    return out


def dagster_health(instance, asset_graph) -> list[Health]:
    """Last materialization of every asset, and every check whose latest evaluation failed."""
    out: list[Health] = []
    # external assets (raw/events: Firehose writes it) are observed, never materialized here
    keys = sorted(asset_graph.materializable_asset_keys, key=lambda k: k.to_user_string())
    never = [k for k in keys if instance.get_latest_materialization_event(k) is None]
    done = len(keys) - len(never)
    out.append(
        Health(
            "dagster",
            "assets",
            OK if not never else WARN,
            f"{done} of {len(keys)} assets materialized"
            + (f"; never: {', '.join(k.to_user_string() for k in never[:8])}" if never else "")
            + (" ..." if len(never) > 8 else ""),
        )
    )
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        list(asset_graph.asset_check_keys)
    )
    for key, record in sorted(latest.items(), key=lambda kv: kv[0].to_user_string()):
        evaluation = record.evaluation
        if evaluation is not None and not evaluation.passed:
            out.append(
                Health("dagster", key.to_user_string(), FAIL, f"check failed (run {record.run_id[:8]})")
            )
    return out


def slot_health(conn, slot: str) -> Health:
    """The replication slot's WAL held back on the source: what a stuck capture costs."""
    from platform_assets.raw.cdc_capture.slot_record import RECOVERY, invalidated, slot_row

    row = conn.execute(
        "SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint "
        "FROM pg_replication_slots WHERE slot_name = %s",
        (slot,),
    ).fetchone()
    if row is None:
        return Health(
            "source",
            slot,
            WARN,
            "no replication slot: changes are not captured (on a first run `lakehouse cdc full-load` "
            f"or `lakehouse cdc capture` creates it; if capture ran before, the slot was lost: {RECOVERY})",
        )
    if why := invalidated(slot_row(conn, slot)):
        return Health("source", slot, FAIL, f"{why}: changes are not captured; {RECOVERY}")
    active, retained = row
    state = FAIL if retained > SLOT_WAL_FAIL_BYTES else OK
    use = "in use" if active else "idle"
    return Health("source", slot, state, f"retains {retained:,} bytes of WAL ({use})")
