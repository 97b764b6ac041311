"""The fault suite, capture: the pgoutput capture killed with SIGKILL between its durable
writes (a table's file, the next table's, the slot's advance), then run again, twice: every
file the killed capture wrote is unchanged, byte for byte, and the raw zone holds every change
exactly once, as an undisturbed capture through a second slot created at the same moment wrote
them."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import psycopg
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable
from fault_steps import PII_KEY, STEPS, run_killed

from platform_assets.contracts import CONTRACTS
from platform_assets.curated.refresh import refresh_curated
from platform_assets.errors import PlatformError
from platform_assets.lake import Lake
from platform_assets.maintenance.raw_retention import purge_applied_raw_files
from platform_assets.processed.apply import apply_pending
from platform_assets.processed.reconcile import reconcile
from platform_assets.raw.cdc_capture.capture import capture_until_empty
from platform_assets.raw.cdc_capture.resync import resync
from platform_assets.raw.cdc_capture.slot import drop_replication, ensure_replication
from platform_assets.raw.full_load import full_load
from platform_assets.sources.oltp.seed import seed
from platform_assets.sources.oltp.workload import run_workload

pytestmark = [pytest.mark.faults, pytest.mark.slow]

KILLS = [
    "capture.after_file#1",  # the first table's file of the first batch written
    "capture.after_file#2",  # the second table's
    "capture.before_advance#1",  # every file of the batch durable, the slot not moved
    "capture.before_advance#2",  # the same in the second batch
]


def raw_bytes(home) -> dict[str, bytes]:
    raw = home / "lake" / "raw"
    return {str(p.relative_to(raw)): p.read_bytes() for p in sorted(raw.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("kill_at", KILLS)
def test_capture_killed_then_rerun_writes_exactly_the_undisturbed_files(kill_at, pg_dsn, tmp_path):
    db = pg_dsn.split("/")[-1].split("?")[0]
    reference_slot, killed_slot = f"{db[:40]}_ref", f"{db[:40]}_kill"
    with psycopg.connect(pg_dsn) as conn:
        seed(conn, orders=300)
        for slot in (reference_slot, killed_slot):
            ensure_replication(conn, slot, slot)
        run_workload(conn, 400, seed=3)  # inserts, updates, deletes across the shop's tables
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    STEPS["capture"](reference, pg_dsn, reference_slot)
    expected = raw_rows(reference)
    assert len(raw_bytes(reference)) >= 6  # several batches, several tables each: kills fall between files

    assert run_killed("capture", killed, pg_dsn, killed_slot, kill_at=kill_at) == -9
    at_kill = raw_bytes(killed)
    assert at_kill  # the kill fell after a durable file
    STEPS["capture"](killed, pg_dsn, killed_slot)
    after = raw_bytes(killed)
    # a file once written never changes (an apply may have read it): the rerun cuts its batch
    # at the end the file records and rewrites it byte for byte
    assert {name: after[name] for name in at_kill} == at_kill
    # every change exactly once, as the undisturbed capture wrote them
    assert raw_rows(killed) == expected
    STEPS["capture"](killed, pg_dsn, killed_slot)
    assert raw_bytes(killed) == after


def raw_rows(home) -> dict[str, list[tuple]]:
    """Every raw CDC row per table, in change order. Two slots can split the same changes into
    batches at different transactions (Postgres's `upto_nchanges` counts its own messages),
    so files of two slots are compared by their rows, not their bytes."""
    rows: dict[str, list[tuple]] = {}
    for p in sorted((home / "lake" / "raw").rglob("*.parquet")):
        table = pq.read_table(p)
        rows.setdefault(p.parent.name, []).extend(zip(*table.to_pydict().values(), strict=True))
    return {name: sorted(r, key=lambda row: row[2]) for name, r in rows.items()}  # _change_seq


def _slot_name(pg_dsn: str, suffix: str) -> str:
    """Slot names are server-wide: one per test database."""
    return psycopg.conninfo.conninfo_to_dict(pg_dsn)["dbname"][:40] + suffix


def _lake_state(lake) -> dict[str, int]:
    """Every processed table's version: a second run that changes nothing leaves them all."""
    return {c.name: DeltaTable(lake.delta_uri("processed", c.name)).version() for c in CONTRACTS.values()}


def _apply_all(lake) -> None:
    for c in CONTRACTS.values():
        apply_pending(lake, c)


def _assert_processed_equals_postgres(dsn: str, lake) -> None:
    with psycopg.connect(dsn) as conn:  # reconcile reads through a server-side cursor: a transaction
        for c in CONTRACTS.values():
            r = reconcile(conn, lake, c)
            assert r.matches, f"processed.{c.name} differs from Postgres: {r}"


@pytest.fixture
def lost_slot(pg_dsn, tmp_path):
    """A shop with a full load, changes captured and applied, then its slot dropped by hand
    and more changes made (one order purged, new ones placed) that no slot holds."""
    slot = _slot_name(pg_dsn, "_lost")
    lake = Lake(str(tmp_path / "lake"))
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        seed(conn, orders=300)
        ensure_replication(conn, slot, slot)
        full_load(pg_dsn, lake, list(CONTRACTS.values()))
        run_workload(conn, 150, seed=1)
        assert capture_until_empty(pg_dsn, lake, slot=slot, publication=slot)
        _apply_all(lake)
        _assert_processed_equals_postgres(conn.info.dsn, lake)
        conn.execute("SELECT pg_drop_replication_slot(%s)", (slot,))  # lost: dropped by hand
        (purged,) = conn.execute("SELECT min(order_id) FROM orders").fetchone()
        for table in ("payments", "order_items", "orders"):
            conn.execute(f"DELETE FROM {table} WHERE order_id = %s", (purged,))  # noqa: S608 -- constant names
        run_workload(conn, 150, seed=2)  # inserts, updates, deletes: in no slot any more
        yield conn, lake, slot, purged
        drop_replication(conn, slot, slot)


def test_a_dropped_slot_stops_capture_with_an_error_naming_the_slot_and_the_recovery(lost_slot):
    conn, lake, slot, _ = lost_slot
    db = conn.info.dbname
    before = raw_bytes(Path(lake.root).parent)
    with pytest.raises(PlatformError, match=rf"{slot}.*{db}.*full load.*lakehouse cdc resync"):
        capture_until_empty(lake=lake, dsn=conn.info.dsn, slot=slot, publication=slot)
    assert raw_bytes(Path(lake.root).parent) == before  # nothing captured, nothing written
    # recreating the slot by hand (as `cdc capture` used to) does not hide the loss
    ensure_replication(conn, slot, slot)
    with pytest.raises(PlatformError, match=rf"{slot}.*lakehouse cdc resync"):
        capture_until_empty(conn.info.dsn, lake, slot=slot, publication=slot)
    assert raw_bytes(Path(lake.root).parent) == before


def test_resync_after_a_lost_slot_makes_processed_and_curated_equal_postgres_twice(lost_slot, monkeypatch):
    monkeypatch.setenv("PLATFORM_PII_HASH_KEY", PII_KEY)
    conn, lake, slot, purged = lost_slot
    dsn = conn.info.dsn
    assert (
        DeltaTable(lake.delta_uri("processed", "orders"))
        .to_pyarrow_table(filters=[("order_id", "=", purged)])
        .num_rows
        == 1
    )

    for c in CONTRACTS.values():  # raw retention: the applied files are gone, their rows are not
        assert purge_applied_raw_files(lake, c, keep_days=0).deleted
    first = resync(dsn, lake, list(CONTRACTS.values()), slot=slot, publication=slot)
    assert sorted(first.files) == sorted(CONTRACTS)  # one reload file per table
    run_workload(conn, 100, seed=3)  # after the resync: the new slot holds these
    capture_until_empty(dsn, lake, slot=slot, publication=slot)
    _apply_all(lake)
    _assert_processed_equals_postgres(conn.info.dsn, lake)  # the gap's deletes and inserts included
    orders = DeltaTable(lake.delta_uri("processed", "orders")).to_pyarrow_table()
    assert purged not in orders["order_id"].to_pylist()
    for c in CONTRACTS.values():  # curated follows processed's change feed: deletes flow
        refresh_curated(lake, c)
        curated = DeltaTable(lake.delta_uri("curated", c.name)).to_pyarrow_table(columns=[c.key])
        processed = DeltaTable(lake.delta_uri("processed", c.name)).to_pyarrow_table(columns=[c.key])
        assert sorted(curated[c.key].to_pylist()) == sorted(processed[c.key].to_pylist()), c.name

    raw, versions = raw_bytes(Path(lake.root).parent), _lake_state(lake)
    second = resync(dsn, lake, list(CONTRACTS.values()), slot=slot, publication=slot)
    assert second.files == {} and "nothing to resync" in second.message
    assert capture_until_empty(dsn, lake, slot=slot, publication=slot) == []
    _apply_all(lake)
    assert raw_bytes(Path(lake.root).parent) == raw and _lake_state(lake) == versions


def _resync_child(dsn: str, root: str, slot: str, kill_at: str) -> None:
    os.environ["PLATFORM_KILL_AT"] = kill_at
    resync(dsn, Lake(root), list(CONTRACTS.values()), slot=slot, publication=slot)


def _killed_resync(dsn: str, root: str, slot: str, kill_at: str) -> int:
    """The resync in a child process that SIGKILLs itself at `kill_at`; its exit code. The
    child comes from the fault suite's forkserver (fault_steps.py): a plain fork would copy
    delta-rs's runtime threads, which the child cannot use."""
    process = multiprocessing.get_context("forkserver").Process(
        target=_resync_child, args=(dsn, root, slot, kill_at)
    )
    process.start()
    process.join(120)
    return process.exitcode


def test_a_resync_killed_half_way_refuses_capture_and_a_rerun_ends_equal(lost_slot):
    conn, lake, slot, _ = lost_slot
    dsn = conn.info.dsn
    assert _killed_resync(dsn, lake.root, slot, "resync.after_file#2") == -9
    with pytest.raises(PlatformError, match=rf"{slot}.*unfinished.*lakehouse cdc resync"):
        capture_until_empty(dsn, lake, slot=slot, publication=slot)
    resync(dsn, lake, list(CONTRACTS.values()), slot=slot, publication=slot)
    run_workload(conn, 60, seed=4)
    capture_until_empty(dsn, lake, slot=slot, publication=slot)
    _apply_all(lake)
    _assert_processed_equals_postgres(conn.info.dsn, lake)


def test_the_command_line_names_the_lost_slot_and_its_resync_recovers(
    platform_home, pg_dsn, monkeypatch, capsys
):
    from platform_assets.cli import main
    from platform_assets.raw.assets import SLOT

    monkeypatch.setenv("PLATFORM_OLTP_DSN", pg_dsn)
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        seed(conn, orders=100, seed=6)
        assert main(["cdc", "full-load"]) == 0  # creates the slot and records it in the lake
        conn.execute("SELECT pg_drop_replication_slot(%s)", (SLOT,))
        run_workload(conn, 40, seed=7)
        capsys.readouterr()
        assert main(["cdc", "capture"]) == 1
        err = capsys.readouterr().err
        assert f"'{SLOT}'" in err and "`lakehouse cdc resync`" in err and "Traceback" not in err
        assert conn.execute(  # refused before anything: not even a new slot holding WAL
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = %s", (SLOT,)
        ).fetchone() == (0,)
        assert main(["cdc", "resync"]) == 0
        assert capsys.readouterr().out.count("resync of ") == len(CONTRACTS)
        assert main(["cdc", "resync"]) == 0
        assert "nothing to resync" in capsys.readouterr().out
        assert main(["cdc", "capture"]) == 0
