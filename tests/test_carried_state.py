"""Maintenance commits carry the platform's state keys (`lakehouse.watermark`,
`lakehouse.source_version`) forward; a commit that lands between their read and their commit
must never move the state backwards (issue 11, finding 4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dms_files import T0, order_row, write_dms

from platform_assets.contracts import contract
from platform_assets.curated.refresh import SOURCE_VERSION_KEY, refresh_curated
from platform_assets.maintenance import compact, operations, vacuum, zorder
from platform_assets.maintenance.targets import targets
from platform_assets.processed.apply import apply_pending
from platform_assets.processed.delta import WATERMARK_KEY
from platform_assets.storage.delta import committed_value, open_table

ORDERS = contract("orders")


def committed_at(n: int):
    return T0 + timedelta(milliseconds=10 * n)


def seq(n: int) -> str:
    """Change n's sequence shaped like DMS's AR_H_CHANGE_SEQ (commit time in hundredths of a
    second + a 19-digit counter)."""
    ts = committed_at(n)
    return f"{ts:%Y%m%d%H%M%S}{ts.microsecond // 10_000:02d}{n:019d}"


def cdc(lake, name: str, rows: list[dict], ops: list[str], first_seq: int) -> None:
    """A CDC file whose n-th row is change number first_seq + n: a redelivered file repeats
    the numbers, so its changes have the same commit times and sequences."""
    numbers = range(first_seq, first_seq + len(rows))
    write_dms(
        lake,
        "orders",
        name,
        rows,
        ops=ops,
        change_seqs=[seq(n) for n in numbers],
        commit_ts=[committed_at(n) for n in numbers],
    )


def target(zone: str):
    return next(t for t in targets() if t.zone == zone and t.table == "orders")


def thousand_orders(lake) -> None:
    """1000 orders over 5 key partitions (bucket size 20,000), then small batches that leave
    several files per partition and some replaced (tombstoned) files."""
    ids = [1 + i * 97 for i in range(1000)]  # 1 .. 96,904
    cdc(lake, "20261127-080000000", [order_row(i) for i in ids], ["I"] * 1000, 1)
    apply_pending(lake, ORDERS)
    for n in range(3):
        keys = [2 + n, 20_002 + n, 40_002 + n, 60_002 + n, 80_002 + n]
        cdc(lake, f"20261127-08010{n}000", [order_row(k) for k in keys], ["I"] * 5, 1001 + 5 * n)
        apply_pending(lake, ORDERS)
    cdc(lake, "20261127-080200000", [order_row(98, "20.00")], ["U"], 1100)
    apply_pending(lake, ORDERS)


def apply_in_between(lake) -> None:
    """Another writer's apply: a new key in a new partition (adds files, removes none, so no
    maintenance commit conflicts with it), inserted and then updated."""
    cdc(lake, "20261127-080300000", [order_row(100_001)], ["I"], 1200)
    cdc(lake, "20261127-080400000", [order_row(100_001, "40.00")], ["U"], 1201)
    result = apply_pending(lake, ORDERS)
    assert len(result.files_applied) == 2


MAINTENANCE = {
    "compact": lambda lake: compact(lake, target("processed")),
    "zorder": lambda lake: zorder(lake, target("processed"), force=True),
    "vacuum": lambda lake: vacuum(lake, target("processed"), retention_hours=0, force=True),
}


@pytest.mark.parametrize("operation", sorted(MAINTENANCE))
def test_a_maintenance_commit_after_a_concurrent_apply_keeps_the_newer_watermark(
    lake, monkeypatch, operation
):
    thousand_orders(lake)
    real_carried = operations._carried

    def carried_then_someone_applies(*args, **kwargs):
        props = real_carried(*args, **kwargs)  # the maintenance has read the state ...
        apply_in_between(lake)  # ... another writer commits before the maintenance does
        return props

    monkeypatch.setattr(operations, "_carried", carried_then_someone_applies)
    dt = open_table(lake, "processed", "orders")
    version_before = dt.version()

    report = MAINTENANCE[operation](lake)

    dt = open_table(lake, "processed", "orders")
    assert report.after.version == dt.version() > version_before + 1  # apply + maintenance
    assert committed_value(lake, dt, WATERMARK_KEY).endswith(seq(1201))
    rows = dt.to_pyarrow_table().sort_by("order_id")
    assert rows.num_rows == 1016
    # DMS redelivers the insert of order 100001 under a new name: it changes nothing, twice
    monkeypatch.setattr(operations, "_carried", real_carried)
    cdc(lake, "20261127-080500000", [order_row(100_001)], ["I"], 1200)
    for _ in range(2):
        result = apply_pending(lake, ORDERS)
        dt = open_table(lake, "processed", "orders")
        assert dt.to_pyarrow_table().sort_by("order_id") == rows
        assert committed_value(lake, dt, WATERMARK_KEY).endswith(seq(1201))
    assert result.files_applied == []  # the second run: nothing pending any more


def test_curated_maintenance_after_a_concurrent_refresh_keeps_the_newer_source_version(lake, monkeypatch):
    thousand_orders(lake)
    assert refresh_curated(lake, ORDERS).mode == "rebuild"
    cdc(lake, "20261127-080210000", [order_row(195, "21.00")], ["U"], 1101)
    apply_pending(lake, ORDERS)
    assert refresh_curated(lake, ORDERS).mode == "incremental"  # replaces a file: one to vacuum
    real_carried = operations._carried
    raced = []

    def carried_then_someone_refreshes(*args, **kwargs):
        props = real_carried(*args, **kwargs)
        apply_in_between(lake)
        raced.append(refresh_curated(lake, ORDERS).mode)
        return props

    monkeypatch.setattr(operations, "_carried", carried_then_someone_refreshes)
    report = vacuum(lake, target("curated"), retention_hours=0, force=True)

    assert raced == ["incremental"] and report.details["files_deleted"] > 0

    processed = open_table(lake, "processed", "orders")
    curated = open_table(lake, "curated", "orders")
    assert committed_value(lake, curated, SOURCE_VERSION_KEY) == str(processed.version())
    monkeypatch.setattr(operations, "_carried", real_carried)
    assert refresh_curated(lake, ORDERS).mode == "unchanged"


def test_copies_serve_when_the_state_writing_commit_is_out_of_reach(lake):
    """Beyond the scan (or after log cleanup) the copy read at the newest version wins."""
    thousand_orders(lake)
    dt = open_table(lake, "processed", "orders")
    watermark = committed_value(lake, dt, WATERMARK_KEY)
    compact(lake, target("processed"))
    vacuum(lake, target("processed"), retention_hours=0, force=True)  # VACUUM START and END
    dt = open_table(lake, "processed", "orders")
    assert dt.version() == open_table(lake, "processed", "orders").version()
    for lookback in (1, 2, 3, 200):
        assert committed_value(lake, dt, WATERMARK_KEY, lookback=lookback) == watermark
