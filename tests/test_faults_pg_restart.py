"""The fault suite, the source restarting: Postgres (an embedded server of this module's own,
so the session's server is not disturbed) restarted while a capture holds written files and
has not advanced the slot, and crashed (`-m immediate`: slot positions go back to the last
checkpoint) after captures advanced it. Captured again, the lake equals Postgres and no
change is in the raw zone twice; a slot whose position went back is not mistaken for a lost
one (slot_record.py)."""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from platform_assets.contracts import CONTRACTS
from platform_assets.lake import Lake
from platform_assets.processed.apply import apply_pending
from platform_assets.processed.reconcile import reconcile
from platform_assets.raw.cdc_capture.capture import capture_once, capture_until_empty
from platform_assets.raw.cdc_capture.slot import ensure_replication, slot_position
from platform_assets.raw.cdc_capture.slot_record import read_record
from platform_assets.raw.dms_layout import CHANGE_SEQ_COLUMN
from platform_assets.raw.files import list_raw_files
from platform_assets.raw.full_load import full_load
from platform_assets.sources.oltp.seed import seed
from platform_assets.sources.oltp.server import start_embedded, stop_embedded
from platform_assets.sources.oltp.workload import run_workload

pytestmark = [pytest.mark.faults, pytest.mark.slow]

SLOT = "restart_slot"


@pytest.fixture(scope="module")
def own_pg(tmp_path_factory):
    data_dir = Path(tmp_path_factory.mktemp("pg_restart")) / "pg"
    dsn = start_embedded(data_dir)
    with psycopg.connect(dsn, autocommit=True) as conn:
        seed(conn, orders=200)
    yield dsn, data_dir
    stop_embedded(data_dir)


def restart(data_dir: Path, mode: str) -> None:
    from pgserver._commands import pg_ctl

    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "restart", "-m", mode], pgdata=data_dir, user=user)


def assert_lake_equals_postgres(dsn: str, lake: Lake) -> None:
    for c in CONTRACTS.values():
        apply_pending(lake, c)
    with psycopg.connect(dsn) as conn:
        for c in CONTRACTS.values():
            r = reconcile(conn, lake, c)
            assert r.matches, f"processed.{c.name} differs from Postgres after the restart: {r}"


def assert_no_change_twice(lake: Lake) -> None:
    for c in CONTRACTS.values():
        seqs = [
            pq.read_table(f.uri, columns=[CHANGE_SEQ_COLUMN])[CHANGE_SEQ_COLUMN]
            for f in list_raw_files(lake, c.schema, c.name)
            if f.kind == "cdc"
        ]
        if seqs:
            every = pa.chunked_array([s for t in seqs for s in t.chunks])
            assert len(every) == len(every.unique()), f"{c.name}: a change is in two raw files"


def test_postgres_restarted_in_a_capture_and_crashed_after_one_loses_and_doubles_nothing(own_pg, tmp_path):
    dsn, data_dir = own_pg
    lake = Lake(str(tmp_path / "lake"))
    with psycopg.connect(dsn, autocommit=True) as conn:
        ensure_replication(conn, SLOT, SLOT)
    full_load(dsn, lake, list(CONTRACTS.values()))
    with psycopg.connect(dsn, autocommit=True) as conn:
        run_workload(conn, 120, seed=11)

    # restarted (fast: a clean shutdown) between the batch's durable files and the slot's advance
    with pytest.raises(psycopg.OperationalError):
        capture_once(dsn, lake, slot=SLOT, publication=SLOT, after_write=lambda _: restart(data_dir, "fast"))
    with psycopg.connect(dsn, autocommit=True) as conn:
        run_workload(conn, 60, seed=12)  # changes after the restart, before the next capture
    assert capture_until_empty(dsn, lake, slot=SLOT, publication=SLOT)

    # crashed (immediate: no checkpoint) after captures advanced the slot: its position goes
    # back, behind the lake's record, and the changes since are decoded again
    with psycopg.connect(dsn, autocommit=True) as conn:
        run_workload(conn, 60, seed=13)
    assert capture_until_empty(dsn, lake, slot=SLOT, publication=SLOT)
    restart(data_dir, "immediate")
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert slot_position(conn, SLOT) < read_record(lake, SLOT).position  # went back: not lost
        run_workload(conn, 60, seed=14)
    capture_until_empty(dsn, lake, slot=SLOT, publication=SLOT)

    assert_no_change_twice(lake)
    assert_lake_equals_postgres(dsn, lake)
    assert capture_until_empty(dsn, lake, slot=SLOT, publication=SLOT) == []  # twice: nothing more
    assert_lake_equals_postgres(dsn, lake)


def test_a_slot_invalidated_by_postgres_stops_capture_and_status_says_so(own_pg, tmp_path):
    from platform_assets.errors import PlatformError
    from platform_assets.observability.health import FAIL, slot_health

    dsn, _ = own_pg
    lake, slot = Lake(str(tmp_path / "lake")), "invalidated_slot"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS wal_filler (v text)")
        ensure_replication(conn, slot, slot)
        conn.execute("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'")
        conn.execute("SELECT pg_reload_conf()")
        try:
            for _ in range(4):  # whole WAL segments past the limit, then a checkpoint removes them
                conn.execute("INSERT INTO wal_filler SELECT repeat('x', 100) FROM generate_series(1, 100)")
                conn.execute("SELECT pg_switch_wal()")
            conn.execute("CHECKPOINT")
            assert conn.execute(
                "SELECT wal_status FROM pg_replication_slots WHERE slot_name = %s", (slot,)
            ).fetchone() == ("lost",)
            with pytest.raises(PlatformError, match=rf"{slot}.*invalidated.*lakehouse cdc resync"):
                capture_once(dsn, lake, slot=slot, publication=slot)
            health = slot_health(conn, slot)
            assert health.state == FAIL and "lakehouse cdc resync" in health.detail
        finally:
            conn.execute("ALTER SYSTEM RESET max_slot_wal_keep_size")
            conn.execute("SELECT pg_reload_conf()")
            conn.execute("SELECT pg_drop_replication_slot(%s)", (slot,))
