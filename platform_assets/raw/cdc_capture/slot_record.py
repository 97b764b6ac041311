"""What the lake knows of the replication slot that feeds its raw zone: a lost slot is told
from a first run, and capture refuses to go on past a gap it cannot see.

The record (`<lake>/_cdc_capture/<slot>.json`, beside the zones so the raw zone stays exactly
what DMS would write) holds the slot's name, its database and the position capture last left
it at: written when capture first uses the slot, and before every advance. Postgres moves a
slot only forward, and a slot created again starts at the WAL's end, so on the next capture:

- no record: a first run; the slot is created (or used) as it is.
- the slot missing, or invalidated (`wal_status = 'lost'`, `conflicting`, an
  `invalidation_reason`): lost.
- the slot ahead of the record: someone created it again after a loss (the changes made in
  between are in no slot). Behind the record is fine: a Postgres crash replays a little WAL
  (slot positions are saved at checkpoints) or the advance after the record never ran.
- a resync (resync.py) started and not finished: capture waits for it.

Every refusal is a PlatformError naming the slot, the database and `RECOVERY`, the one place
the recovery is worded (`lakehouse status` quotes it too).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import psycopg
import pyarrow.fs as pafs

from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.raw.cdc_capture.pgoutput import int_to_lsn, lsn_to_int
from platform_assets.raw.cdc_capture.slot import ensure_replication, slot_position
from platform_assets.storage.files import write_bytes_atomic

RESYNC_COMMAND = "lakehouse cdc resync"
RECOVERY = f"recover with a new full load that replaces every table's rows in the lake: `{RESYNC_COMMAND}`"


@dataclass(frozen=True)
class SlotRecord:
    slot: str
    database: str
    position: int  # the slot's confirmed position as capture last left it (or at creation)
    resyncing: bool = False  # a resync started and has not finished: capture must not run


def record_uri(lake: Lake, slot: str) -> str:
    return lake.uri("_cdc_capture", f"{slot}.json")


def read_record(lake: Lake, slot: str) -> SlotRecord | None:
    fs, path = lake.filesystem(), lake.fs_path(record_uri(lake, slot))
    if fs.get_file_info(path).type == pafs.FileType.NotFound:
        return None
    with fs.open_input_stream(path) as stream:
        return SlotRecord(**json.loads(stream.read()))


def write_record(lake: Lake, record: SlotRecord) -> None:
    write_bytes_atomic(lake, record_uri(lake, record.slot), json.dumps(asdict(record)).encode())


def slot_row(conn: psycopg.Connection, slot: str) -> dict | None:
    """The slot's row of pg_replication_slots as a dict: its columns differ between versions
    (`conflicting` from 16, `invalidation_reason` from 17)."""
    row = conn.execute(
        "SELECT to_jsonb(s) FROM pg_replication_slots s WHERE slot_name = %s", (slot,)
    ).fetchone()
    return row[0] if row else None


def invalidated(row: dict) -> str | None:
    """Why Postgres invalidated the slot (it can no longer decode), or None."""
    if row.get("invalidation_reason"):
        return f"invalidated by Postgres ({row['invalidation_reason']})"
    if row.get("wal_status") == "lost":
        return "invalidated by Postgres: the WAL it needs was removed (max_slot_wal_keep_size)"
    if row.get("conflicting"):
        return "invalidated by Postgres: it conflicted with recovery"
    return None


def lost_slot_error(slot: str, database: str, why: str) -> PlatformError:
    return PlatformError(
        f"replication slot {slot!r} of database {database!r} {why}: the changes made meanwhile are in "
        f"no slot, so capture stops here and writes nothing; {RECOVERY}"
    )


def check_slot(conn: psycopg.Connection, lake: Lake, slot: str) -> SlotRecord | None:
    """The lake's record of `slot`, after checking that the slot is the one it records; None
    on a first run. Raises PlatformError when the slot was lost or a resync is unfinished."""
    record = read_record(lake, slot)
    database = conn.info.dbname
    row = slot_row(conn, slot)
    if row is not None and (why := invalidated(row)):
        raise lost_slot_error(slot, database, f"was {why}")
    if record is None:
        return None
    if record.resyncing:
        raise PlatformError(
            f"replication slot {slot!r} of database {record.database!r}: a resync started and is "
            f"unfinished (killed?), so capture waits; run `{RESYNC_COMMAND}` again to finish it"
        )
    if record.database != database:
        raise PlatformError(
            f"replication slot {slot!r}: the lake's raw zone is fed from database {record.database!r}, "
            f"not {database!r}; point the capture at {record.database!r}, or {RECOVERY}"
        )
    if row is None:
        raise lost_slot_error(slot, database, "was dropped after capture last used it")
    now = lsn_to_int(row["confirmed_flush_lsn"])
    if now > record.position:
        raise lost_slot_error(
            slot,
            database,
            f"was created again (it starts at {int_to_lsn(now)}, past {int_to_lsn(record.position)} "
            f"where capture left the one it used)",
        )
    return record


def ensure_recorded_replication(
    conn: psycopg.Connection, lake: Lake, slot: str, publication: str
) -> SlotRecord:
    """`ensure_replication` for a lake: refuses a lost slot (check_slot) instead of creating
    it again, and records the slot on its first use, so that its loss is detectable from then
    on. Every caller that feeds `lake` from the slot goes through here."""
    record = check_slot(conn, lake, slot)
    ensure_replication(conn, slot, publication)
    if record is None:
        record = SlotRecord(slot, conn.info.dbname, slot_position(conn, slot))
        write_record(lake, record)
    return record
