"""`lakehouse cdc resync`: the recovery after a lost replication slot (slot_record.py).

The changes made while no slot held them are gone, so every table is taken again from the
source, as DMS's "reload table" does, and landed so that the lake ends equal to Postgres:

1. The lake's record is marked `resyncing` (capture refuses until the end), the lost slot is
   dropped, the clock and WAL position read (T0), and a new slot created.
2. One REPEATABLE READ snapshot, taken after the slot exists, is written per table as one
   *reload* file: a CDC file whose changes all carry commit time T0 and sequence
   (WAL position at T0, row): `U` for every row of the snapshot, `D` for every key the lake
   holds (processed table, raw zone) that the snapshot lacks (deleted during the gap).
   Being CDC changes at T0, they order after every change captured before the loss and
   before every change of the new slot, so the apply's MERGE needs nothing new: the deletes
   are deleted, the rows replaced, and curated follows through the change feed. (A LOAD file
   would order before every CDC file and could not delete.)
3. The record gets the new slot's position: capture resumes.

Why T0 is read *before* the slot is created: creating a logical slot waits until every
transaction running at that moment has ended, so a change with a commit time before T0 is in
the snapshot, and one the snapshot lacks commits after the slot's start (it is in the slot)
with a commit time after T0. A change both in the snapshot and in the slot applies twice
with the same result.

Exactly once: a resync killed half way leaves the record `resyncing`; the rerun starts over
(a new slot, a new T0, every table again) and the earlier attempt's reload files are a valid
older snapshot that the new one supersedes. A resync with a healthy, recorded slot does
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import psycopg
import pyarrow as pa
import pyarrow.compute as pc

from platform_assets import killpoints
from platform_assets.contracts import TableContract
from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.raw.cdc_capture.pgoutput import lsn_to_int
from platform_assets.raw.cdc_capture.slot import ensure_replication, slot_position
from platform_assets.raw.cdc_capture.slot_record import (
    SlotRecord,
    check_slot,
    read_record,
    slot_row,
    write_record,
)
from platform_assets.raw.cdc_capture.writer import END_LSN_KEY, TS_TYPE, change_seq, locate, parquet_bytes
from platform_assets.raw.dms_layout import CHANGE_SEQ_COLUMN, OP_COLUMN, TIMESTAMP_COLUMN
from platform_assets.raw.files import list_raw_files
from platform_assets.raw.read import MalformedFile, read_changes
from platform_assets.sources.oltp.snapshot import read_table
from platform_assets.storage.delta import open_table
from platform_assets.storage.files import write_bytes_atomic

DMS_TYPES = ((OP_COLUMN, pa.string()), (TIMESTAMP_COLUMN, TS_TYPE), (CHANGE_SEQ_COLUMN, pa.string()))


@dataclass
class ResyncResult:
    files: dict[str, str] = field(default_factory=dict)  # table -> its reload file
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows in the snapshot
    deleted: dict[str, int] = field(default_factory=dict)  # table -> keys gone from the source
    message: str = ""

    def lines(self) -> list[str]:
        out = [
            f"resync of {name}: {self.rows[name]} rows, {self.deleted[name]} keys deleted at the source, "
            f"in {uri.rsplit('/', 1)[-1]}"
            for name, uri in self.files.items()
        ]
        return [*out, self.message]


def _known_keys(lake: Lake, c: TableContract) -> pa.Array:
    """Every key the lake may hold a row of: the processed table's (raw retention deletes
    applied raw files, not their rows) and the raw zone's (files not applied yet; readable
    ones only: the apply quarantines the others, so their keys never reach processed)."""
    keys = []
    processed = open_table(lake, "processed", c.name)
    if processed is not None:
        keys += processed.to_pyarrow_table(columns=[c.key])[c.key].chunks
    for f in list_raw_files(lake, c.schema, c.name):
        try:
            keys += read_changes(lake, c, f)[0][c.key].chunks
        except MalformedFile:
            continue
    key_type = c.arrow_schema().field(c.key).type
    return pa.chunked_array(keys, key_type).combine_chunks().unique()


def reload_table(c: TableContract, rows: pa.Table, gone: pa.Array, t0: datetime, lsn: int) -> pa.Table:
    """The reload as a CDC file's table (the capture's layout, writer.to_arrow): the snapshot's
    rows as `U`, then a `D` per key in `gone`, every change at commit time `t0`."""
    schema = pa.schema([f.with_nullable(True) for f in c.arrow_schema()])
    deletes = pa.Table.from_arrays(
        [gone if f.name == c.key else pa.nulls(len(gone), f.type) for f in schema], schema=schema
    )
    body = pa.concat_tables([rows.cast(schema), deletes])
    n, ops = body.num_rows, ["U"] * rows.num_rows + ["D"] * len(gone)
    dms = pa.table(
        {
            OP_COLUMN: pa.array(ops, pa.string()),
            TIMESTAMP_COLUMN: pa.array([t0] * n, TS_TYPE),
            CHANGE_SEQ_COLUMN: pa.array([change_seq(lsn, i) for i in range(n)], pa.string()),
        },
        schema=pa.schema([pa.field(name, t, nullable=False) for name, t in DMS_TYPES]),
    )
    fields = [*dms.schema, *schema]
    arrays = [*dms.columns, *body.columns]
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields, metadata={END_LSN_KEY: str(lsn).encode()}))


def _needs_resync(conn: psycopg.Connection, lake: Lake, slot: str) -> bool:
    try:
        record = check_slot(conn, lake, slot)
    except PlatformError:  # lost, invalidated, created again, or a resync unfinished
        return True
    return record is None or slot_row(conn, slot) is None


def resync(
    dsn: str, lake: Lake, contracts: list[TableContract], *, slot: str, publication: str
) -> ResyncResult:
    """Replace every table's rows in the lake with a snapshot taken with a new slot."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        if not _needs_resync(conn, lake, slot):
            return ResyncResult(
                message=f"replication slot {slot!r} of database {conn.info.dbname!r} is the one capture "
                f"uses and is healthy: nothing to resync"
            )
        database, earlier = conn.info.dbname, read_record(lake, slot)
        write_record(lake, SlotRecord(slot, database, earlier.position if earlier else 0, resyncing=True))
        conn.execute(  # the lost slot, or the one a killed resync created
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s",
            (slot,),
        )
        t0, lsn = conn.execute("SELECT clock_timestamp(), pg_current_wal_lsn()::text").fetchone()
        ensure_replication(conn, slot, publication)  # waits for running transactions to end
        position = slot_position(conn, slot)
    result = ResyncResult()
    with psycopg.connect(dsn) as snap:
        snap.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # one snapshot for all tables
        snap.read_only = True
        for c in contracts:
            rows = read_table(snap, c)
            known = _known_keys(lake, c)
            gone = known.filter(pc.invert(pc.is_in(known, rows[c.key])))
            table = reload_table(c, rows, gone, t0, lsn_to_int(lsn))
            uri, _ = locate(lake, c, t0, table[CHANGE_SEQ_COLUMN][0].as_py())
            write_bytes_atomic(lake, uri, parquet_bytes(table))
            result.files[c.name], result.rows[c.name], result.deleted[c.name] = uri, rows.num_rows, len(gone)
            killpoints.reached("resync.after_file")
    write_record(lake, SlotRecord(slot, database, position))
    result.message = (
        f"replication slot {slot!r} of database {database!r} created again; capture resumes from it "
        f"(`lakehouse cdc capture`), and the apply replaces each table's rows with the reload"
    )
    return result
