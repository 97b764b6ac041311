"""One CDC capture: peek whole transactions, write one DMS file per table, then advance.

Exactly once (DESIGN.md): the slot only moves after every file of the batch is durable, so a
crash anywhere leaves the changes in the slot and a rerun captures them again. A rerun must
not duplicate them under new names nor grow a file a reader may already have applied, so:
names and bytes are a function of the LSN range, and when a file of this batch is already
there (same name, same first change) the batch is cut at the end LSN that file records, which
reproduces the interrupted batch exactly. What lies beyond is left for the next capture.

A lost slot (dropped, invalidated, created again) is refused before anything is read or
written, with the recovery (slot_record.py); the lake records the slot's position before
every advance so that a slot created again is told from the one capture used.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import psycopg

from platform_assets import killpoints
from platform_assets.contracts import CONTRACTS, TableContract
from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.raw.cdc_capture.pgoutput import Begin, Commit, Decoder, RowChange, Truncate
from platform_assets.raw.cdc_capture.slot import advance_slot, peek_changes
from platform_assets.raw.cdc_capture.slot_record import ensure_recorded_replication, write_record
from platform_assets.raw.cdc_capture.writer import (
    CdcRow,
    change_seq,
    locate,
    parquet_bytes,
    row_images,
    to_arrow,
)
from platform_assets.storage.files import write_bytes_atomic

log = logging.getLogger(__name__)

# pgoutput renders values with the session's settings; pin the ones that shape the text.
SESSION = ("SET TimeZone TO 'UTC'", "SET DateStyle TO 'ISO, YMD'", "SET extra_float_digits TO 1")
_CONTRACTS = {(c.schema, c.name): c for c in CONTRACTS.values()}


@dataclass
class CaptureResult:
    files: list[str] = field(default_factory=list)  # URIs written, one per table
    changes: dict[str, int] = field(default_factory=dict)  # table -> rows written
    start_lsn: int | None = None  # commit LSN of the first transaction captured
    end_lsn: int | None = None  # end LSN of the last one: where the slot was advanced to
    transactions: int = 0
    truncates: list[str] = field(default_factory=list)  # tables truncated (not applied yet)
    ignored: dict[str, int] = field(default_factory=dict)  # changes of tables with no contract


@dataclass
class Txn:
    begin: Begin
    end_lsn: int = 0
    n_changes: int = 0  # rows given a change sequence so far (a key change takes two)
    rows: list[tuple[TableContract, CdcRow]] = field(default_factory=list)
    truncates: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def read_transactions(messages: Iterable[bytes]) -> list[Txn]:
    """Committed transactions in commit order; a trailing incomplete one is left out."""
    decoder, done, txn = Decoder(), [], None
    for data in messages:
        msg = decoder.decode(data)
        if isinstance(msg, Begin):
            txn = Txn(msg)
        elif isinstance(msg, RowChange) and txn is not None:
            c = _CONTRACTS.get((msg.schema, msg.table))
            if c is None:
                txn.ignored.append(f"{msg.schema}.{msg.table}")
                txn.n_changes += 1
                continue
            for op, values in row_images(msg, c.key):  # a key change: D old, then U new
                seq = change_seq(txn.begin.final_lsn, txn.n_changes)
                txn.rows.append((c, CdcRow(op, txn.begin.commit_ts, seq, values)))
                txn.n_changes += 1
        elif isinstance(msg, Truncate) and txn is not None:
            txn.truncates.extend(t for _, t in msg.tables)
        elif isinstance(msg, Commit) and txn is not None:
            txn.end_lsn = msg.end_lsn
            done.append(txn)
            txn = None
        elif isinstance(msg, RowChange | Truncate | Commit):
            raise PlatformError("pgoutput stream has a change outside a transaction")
    return done


def _by_table(txns: list[Txn]) -> dict[TableContract, list[CdcRow]]:
    rows: dict[TableContract, list[CdcRow]] = {c: [] for c in CONTRACTS.values()}
    for t in txns:
        for c, row in t.rows:
            rows[c].append(row)
    return {c: r for c, r in rows.items() if r}


def write_batch(lake: Lake, txns: list[Txn]) -> tuple[list[Txn], list[str]]:
    """Write the batch's files durably; returns the transactions they hold (maybe fewer)."""
    while True:
        tables, end = _by_table(txns), txns[-1].end_lsn
        plan = {c: locate(lake, c, txns[0].begin.commit_ts, rows[0].change_seq) for c, rows in tables.items()}
        earlier = [e for _, e in plan.values() if e is not None and e < end]
        if not earlier:
            break
        txns = [t for t in txns if t.end_lsn <= min(earlier)]
        if not txns:
            raise PlatformError(f"raw CDC files disagree with the slot near LSN {end}")
    files = []
    for c, rows in tables.items():
        uri = plan[c][0]
        write_bytes_atomic(lake, uri, parquet_bytes(to_arrow(c, rows, end)))
        files.append(uri)
        killpoints.reached("capture.after_file")
    return txns, files


def capture_once(
    dsn: str,
    lake: Lake,
    *,
    slot: str = "lakehouse",
    publication: str = "lakehouse_pub",
    max_changes: int = 200_000,
    after_write: Callable[[list[str]], None] | None = None,
) -> CaptureResult:
    """Capture up to about `max_changes` changes (whole transactions) into the raw zone.

    `after_write` runs once the files are durable and before the slot moves (fault tests
    use it to crash exactly there).
    """
    with psycopg.connect(dsn, autocommit=True) as conn:
        for sql in SESSION:
            conn.execute(sql)
        # a lost slot stops here, before anything is read or written
        record = ensure_recorded_replication(conn, lake, slot, publication)
        peeked = peek_changes(conn, slot, publication, max_changes)
        txns = read_transactions(data for _, data in peeked)
        if not txns:
            return CaptureResult()
        txns, files = write_batch(lake, txns)
        if after_write is not None:
            after_write(files)
        killpoints.reached("capture.before_advance")
        # recorded before the slot moves: a slot found past the record was created again
        write_record(lake, replace(record, position=txns[-1].end_lsn))
        advance_slot(conn, slot, txns[-1].end_lsn)
    result = CaptureResult(
        files=files, start_lsn=txns[0].begin.final_lsn, end_lsn=txns[-1].end_lsn, transactions=len(txns)
    )
    for t in txns:
        for c, _ in t.rows:
            result.changes[c.name] = result.changes.get(c.name, 0) + 1
        for name in t.ignored:
            result.ignored[name] = result.ignored.get(name, 0) + 1
        result.truncates.extend(t.truncates)
    if result.truncates:
        log.warning(
            "TRUNCATE of %s captured but not applied: the raw zone has no truncate "
            "record yet; reload these tables",
            sorted(set(result.truncates)),
        )
    if result.ignored:
        log.warning("changes of tables without a contract were not written: %s", result.ignored)
    log.info("captured %d transactions, %s, into %d files", result.transactions, result.changes, len(files))
    return result


def capture_until_empty(dsn: str, lake: Lake, **kwargs) -> list[CaptureResult]:
    """Capture batch after batch until the slot has nothing more; the non-empty results."""
    results = []
    while (r := capture_once(dsn, lake, **kwargs)).transactions:
        results.append(r)
    return results


def run_continuously(dsn: str, lake: Lake, stop: threading.Event, poll_seconds: float = 1.0, **kwargs) -> int:
    """Capture until `stop` is set, polling every `poll_seconds`; returns batches written."""
    batches = 0
    while not stop.is_set():
        batches += len(capture_until_empty(dsn, lake, **kwargs))
        stop.wait(poll_seconds)
    return batches
