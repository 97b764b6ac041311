"""CDC capture against a real Postgres: the raw zone replays to the source, exactly once."""

from __future__ import annotations

import os
import random
import string
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from psycopg import sql

from platform_assets.contracts import CONTRACTS, contract
from platform_assets.errors import PlatformError
from platform_assets.raw.cdc_capture import (
    capture_once,
    capture_until_empty,
    ensure_replication,
    peek_changes,
    pending_changes,
)
from platform_assets.raw.cdc_capture.pgoutput import Decoder, RowChange
from platform_assets.raw.cdc_capture.slot import pending_tables
from platform_assets.raw.cdc_capture.writer import (
    CdcRow,
    locate,
    parquet_bytes,
    to_arrow,
)
from platform_assets.raw.dms_layout import cdc_file_name
from platform_assets.sources.oltp.seed import seed
from platform_assets.sources.oltp.workload import run_workload
from platform_assets.storage.files import write_bytes_atomic

DMS_HEAD = ["Op", "_commit_ts", "_change_seq"]


@pytest.fixture
def slot(pg_dsn) -> str:
    """A slot name of this test's own: slot names are cluster-wide, databases are not."""
    return "cdc_" + pg_dsn.split("/")[-1].split("?")[0]


@pytest.fixture
def conn(pg_dsn, slot):
    """A seeded shop with CDC set up before any workload; slots are dropped afterwards."""
    with psycopg.connect(pg_dsn) as c:
        seed(c, orders=200)
        ensure_replication(c, slot)
        yield c
        c.rollback()
        c.autocommit = True
        c.execute(
            "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
            " WHERE database = current_database() AND active_pid IS NOT NULL"
        )
        c.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
            " WHERE database = current_database()"
        )


def snapshot(conn) -> dict[str, dict[int, dict]]:
    out = {}
    for c in CONTRACTS.values():
        cols = sql.SQL(", ").join(map(sql.Identifier, c.column_names))
        cur = conn.execute(sql.SQL("SELECT {} FROM {}").format(cols, sql.Identifier(c.schema, c.name)))
        out[c.name] = {r[0]: dict(zip(c.column_names, r, strict=True)) for r in cur}
    conn.commit()
    return out


def raw_files(lake, table: str) -> dict[str, bytes]:
    """Every file under the table's raw prefix (temp files too), name -> bytes."""
    folder = Path(lake.raw_cdc_prefix("public", table))
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*"))} if folder.exists() else {}


def all_files(lake) -> dict[str, bytes]:
    return {f"{t}/{n}": b for t in CONTRACTS for n, b in raw_files(lake, t).items()}


def replay(lake, before: dict[str, dict[int, dict]]) -> dict[str, dict[int, dict]]:
    """Apply every change file on top of `before`: last change per key by `_change_seq`."""
    state = {t: dict(rows) for t, rows in before.items()}
    for t, files in ((t, raw_files(lake, t)) for t in CONTRACTS):
        c = contract(t)
        tables = [pq.read_table(pa.BufferReader(b)) for b in files.values()]
        if not tables:
            continue
        changes = pa.concat_tables(tables, promote_options="permissive").sort_by("_change_seq")
        for row in changes.to_pylist():
            if row["Op"] == "D":
                state[t].pop(row[c.key], None)
            else:
                state[t][row[c.key]] = {n: row[n] for n in c.column_names}
    return state


def test_capture_replays_to_postgres_exactly(conn, pg_dsn, lake, slot):
    before = snapshot(conn)
    run_workload(conn, 300, seed=7)
    assert pending_changes(conn, slot)
    results = capture_until_empty(pg_dsn, lake, slot=slot, max_changes=500)
    assert len(results) > 1  # several batches, each of whole transactions
    assert sum(r.transactions for r in results) >= 300
    assert all(a.end_lsn <= b.start_lsn for a, b in zip(results, results[1:], strict=False))
    assert replay(lake, before) == snapshot(conn)

    for uri in results[0].files:
        t = pq.read_table(uri)
        c = contract(Path(uri).parent.name)
        assert t.column_names == DMS_HEAD + c.column_names
        assert t.schema.field("_commit_ts").type == pa.timestamp("us", tz="UTC")
        for f in c.arrow_schema():
            assert t.schema.field(f.name).type == f.type
        seqs = t["_change_seq"].to_pylist()
        assert seqs == sorted(seqs) and all(len(s) == 35 for s in seqs)
    # one file per table, all named by the batch's first commit time (DMS naming, UTC, ms)
    first_ts = min(pq.read_table(u)["_commit_ts"][0].as_py() for u in results[0].files)
    assert {Path(u).name for u in results[0].files} == {cdc_file_name(first_ts)}

    # nothing more to do: no new files, slot stays
    files = all_files(lake)
    assert not pending_changes(conn, slot)
    assert capture_once(pg_dsn, lake, slot=slot).transactions == 0
    assert all_files(lake) == files


def test_pending_tables_names_what_the_capture_sensor_should_refresh(conn, pg_dsn, lake, slot):
    conn.commit()
    assert pending_tables(conn, slot) == set()
    conn.execute("UPDATE orders SET status = 'shipped' WHERE order_id = 1")
    conn.execute("UPDATE products SET name = name || '!' WHERE product_id = 1")
    conn.commit()
    assert pending_tables(conn, slot) == {"orders", "products"}
    # a backlog beyond the peek limit: unknown, so the sensor refreshes every table
    assert pending_tables(conn, slot, limit=2) is None
    capture_until_empty(pg_dsn, lake, slot=slot)
    assert pending_tables(conn, slot) == set()


def _long_text(n: int) -> str:
    rng = random.Random(3)  # incompressible, so Postgres stores it out of line (TOAST)
    return "Lieferhinweis ✓ " + "".join(rng.choices(string.ascii_letters + " ", k=n))


def test_unchanged_toast_note_is_filled_from_the_old_row(conn, pg_dsn, lake, slot):
    note = _long_text(7000)
    conn.execute("UPDATE orders SET note = %s WHERE order_id = 5", (note,))
    conn.commit()
    conn.execute("UPDATE orders SET status = 'shipped' WHERE order_id = 5")
    conn.commit()
    decoder = Decoder()
    peeked = [decoder.decode(d) for _, d in peek_changes(conn, slot, "lakehouse_pub")]
    conn.commit()
    assert [m.unchanged for m in peeked if isinstance(m, RowChange)][-1] == {"note"}
    result = capture_once(pg_dsn, lake, slot=slot)
    (orders,) = [pq.read_table(u) for u in result.files if "/orders/" in u]
    rows = orders.to_pylist()
    assert [r["Op"] for r in rows] == ["U", "U"]
    assert rows[1]["status"] == "shipped" and rows[1]["note"] == note

    # without the old row the value is unknown: stop loudly, move nothing
    conn.execute("ALTER TABLE orders REPLICA IDENTITY DEFAULT")
    conn.execute("UPDATE orders SET status = 'delivered' WHERE order_id = 5")
    conn.commit()
    with pytest.raises(PlatformError, match=r"public\.orders.*'note'"):
        capture_once(pg_dsn, lake, slot=slot)
    assert pending_changes(conn, slot)


def test_schema_drift_columns_are_kept_as_text(conn, pg_dsn, lake, slot):
    conn.execute("ALTER TABLE customers ADD COLUMN loyalty_tier text")
    conn.execute("ALTER TABLE payments DROP COLUMN paid_at")
    conn.execute("UPDATE customers SET loyalty_tier = 'gold' WHERE customer_id = 1")
    conn.execute("INSERT INTO payments VALUES (9999, 1, 'card', 12.34, 'pending')")
    conn.execute("TRUNCATE order_items")
    conn.commit()
    result = capture_once(pg_dsn, lake, slot=slot)
    assert result.changes == {"customers": 1, "payments": 1}
    assert result.truncates == ["order_items"]
    customers = pq.read_table(lake.raw_cdc_prefix("public", "customers"))
    assert customers.column_names[-1] == "loyalty_tier"
    assert customers["loyalty_tier"].to_pylist() == ["gold"]
    payments = pq.read_table(lake.raw_cdc_prefix("public", "payments")).to_pylist()
    assert payments[0]["paid_at"] is None and str(payments[0]["amount"]) == "12.34"


def test_crash_before_advance_rewrites_identical_files(conn, pg_dsn, lake, slot):
    before = snapshot(conn)
    run_workload(conn, 60, seed=1)

    def crash(files):
        raise RuntimeError("crash after the files, before the slot moves")

    with pytest.raises(RuntimeError):
        capture_once(pg_dsn, lake, slot=slot, after_write=crash)
    written = all_files(lake)
    assert written and pending_changes(conn, slot)

    run_workload(conn, 20, seed=2)  # the rerun sees more changes than the crashed batch
    again = capture_once(pg_dsn, lake, slot=slot)
    assert all_files(lake) == written  # same names, same bytes, nothing extra
    more = capture_until_empty(pg_dsn, lake, slot=slot)
    assert more and not set(written) & {f.split("/public/")[1] for r in more for f in r.files}
    assert replay(lake, before) == snapshot(conn)
    assert again.transactions == 60


def test_same_millisecond_batches_get_distinct_names(lake):
    c = contract("products")
    ts = datetime(2026, 11, 27, 8, 1, 2, 123456, tzinfo=UTC)
    vals = {n: None for n in c.column_names} | {"product_id": "1"}

    def write(seq: str, end: int) -> str:
        uri, _ = locate(lake, c, ts, seq)
        write_bytes_atomic(lake, uri, parquet_bytes(to_arrow(c, [CdcRow("D", ts, seq, vals)], end)))
        return uri

    first = write("1".zfill(35), 10)
    second = write("2".zfill(35), 20)
    assert Path(first).name == "20261127-080102123.parquet"
    assert Path(second).name == "20261127-080102124.parquet"
    assert locate(lake, c, ts, "2".zfill(35)) == (second, 20)  # a rerun finds its own file
    assert set(raw_files(lake, "products")) == {Path(first).name, Path(second).name}


KILL_SCRIPT = """
import os, signal, sys
from platform_assets.lake import Lake
from platform_assets.storage.files import write_bytes_atomic
from platform_assets.raw.cdc_capture import capture_once
capture_once(sys.argv[1], Lake(sys.argv[2]), slot=sys.argv[3],
             after_write=lambda files: os.kill(os.getpid(), signal.SIGKILL))
"""


@pytest.mark.slow
def test_killed_process_rerun_gives_same_files(conn, pg_dsn, lake, slot):
    before = snapshot(conn)
    run_workload(conn, 40, seed=3)
    proc = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, pg_dsn, lake.root, slot],
        cwd=Path(__file__).parents[1],
        env=os.environ,
        timeout=120,
    )
    assert proc.returncode == -9
    written = all_files(lake)
    assert written and pending_changes(conn, slot)
    capture_once(pg_dsn, lake, slot=slot)
    assert all_files(lake) == written
    assert not pending_changes(conn, slot)
    assert replay(lake, before) == snapshot(conn)
