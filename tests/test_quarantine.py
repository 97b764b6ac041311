"""Quarantined raw files: a fixed file put back is applied, retention deletes only applied files,
and operators list, explain and requeue quarantined files (issue 11, finding 5)."""

from __future__ import annotations

import os
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dms_files import order_row, write_dms

from platform_assets.contracts import contract
from platform_assets.errors import PlatformError
from platform_assets.maintenance import purge_applied_raw_files
from platform_assets.processed.applied_log import file_states
from platform_assets.processed.apply import apply_pending
from platform_assets.raw import quarantine as q
from platform_assets.raw.files import list_quarantined
from platform_assets.storage.delta import open_table

ORDERS = contract("orders")
BAD = "20261127-090000000.parquet"


IDS = [1 + i * 97 for i in range(1000)]  # 1000 orders over 5 key partitions
UPDATED = IDS[::50]  # 20 of them, in every partition


def load_and_quarantine_a_bad_file(lake) -> None:
    write_dms(lake, "orders", "LOAD00000001", [order_row(i) for i in IDS])
    write_dms(
        lake,
        "orders",
        BAD.removesuffix(".parquet"),
        [order_row(i, "55.00") for i in UPDATED],
        ops=["X"] * len(UPDATED),
    )
    result = apply_pending(lake, ORDERS)
    assert list(result.files_quarantined) == [BAD]
    assert list_quarantined(lake, "public", "orders") == [BAD]


def write_fixed(lake, amount: str = "55.00") -> None:
    write_dms(
        lake,
        "orders",
        BAD.removesuffix(".parquet"),
        [order_row(i, amount) for i in UPDATED],
        ops=["U"] * len(UPDATED),
    )


def amounts(lake) -> dict[int, str]:
    dt = open_table(lake, "processed", "orders")
    return {
        r["order_id"]: str(r["total_amount"])
        for r in dt.to_pyarrow_table(columns=["order_id", "total_amount"]).to_pylist()
    }


def test_a_fixed_file_put_back_under_its_name_is_applied_once(lake):
    load_and_quarantine_a_bad_file(lake)
    assert set(amounts(lake).values()) == {"10.00"}

    write_fixed(lake)  # the operator puts a fixed file back under its name
    first, second = apply_pending(lake, ORDERS), apply_pending(lake, ORDERS)

    assert first.files_applied == [BAD] and second.files_applied == []
    now = amounts(lake)
    assert len(now) == 1000 and {now[i] for i in UPDATED} == {"55.00"}
    assert sum(v == "10.00" for v in now.values()) == 980
    assert file_states(lake, "orders")[BAD].outcome == "applied"


def test_raw_retention_deletes_only_files_whose_outcome_is_applied(lake):
    load_and_quarantine_a_bad_file(lake)
    write_fixed(lake)  # put back, not applied yet
    folder = lake.fs_path(lake.raw_cdc_prefix("public", "orders"))
    old = time.time() - 10 * 86400
    for name in os.listdir(folder):
        os.utime(os.path.join(folder, name), (old, old))

    report = purge_applied_raw_files(lake, ORDERS, keep_days=7)

    assert report.deleted == ["LOAD00000001.parquet"] and report.kept_unapplied == 1
    assert os.listdir(folder) == [BAD]
    assert apply_pending(lake, ORDERS).files_applied == [BAD]  # still there to be applied


def test_operators_list_explain_and_requeue_a_quarantined_file(lake):
    load_and_quarantine_a_bad_file(lake)

    [listed] = q.list_files(lake, ["orders"])
    assert (listed.table, listed.name) == ("orders", BAD)
    assert "'Op'" in listed.reason and listed.quarantined_at is not None
    shown = q.explain(lake, "orders", BAD)
    assert shown.rows == len(UPDATED) and shown.error is None
    assert ("Op", "string") in shown.columns and ("order_id", "int64") in shown.columns
    assert shown.ops == {"X": len(UPDATED)}
    assert shown.original_uri.endswith(f"raw/cdc/public/orders/{BAD}")
    with pytest.raises(PlatformError, match="orders has no quarantined file 'nope.parquet'"):
        q.explain(lake, "orders", "nope.parquet")

    # the operator fixes the file where it lies, then requeues it: applied once, recorded
    fixed = pq.read_table(listed.uri.removeprefix("file://"))
    fixed = fixed.set_column(0, "Op", pa.array(["U"] * fixed.num_rows))
    pq.write_table(fixed, lake.fs_path(listed.uri))
    done = q.requeue(lake, "orders", BAD, who="ops@example.com")
    assert done.raw_uri.endswith(f"raw/cdc/public/orders/{BAD}")
    assert q.list_files(lake, ["orders"]) == []
    state = file_states(lake, "orders")[BAD]
    assert state.outcome == "requeued" and "ops@example.com" in state.note
    with pytest.raises(PlatformError, match="no quarantined file"):
        q.requeue(lake, "orders", BAD, who="ops@example.com")  # twice: nothing to requeue
    assert apply_pending(lake, ORDERS).files_applied == [BAD]
    assert apply_pending(lake, ORDERS).files_applied == []
    assert {amounts(lake)[i] for i in UPDATED} == {"55.00"}


def test_a_requeued_file_that_fails_again_is_quarantined_again_with_its_new_reason(lake):
    load_and_quarantine_a_bad_file(lake)
    first_reason = q.explain(lake, "orders", BAD).reason
    q.requeue(lake, "orders", BAD, who="ops")
    # still broken, differently: a key column with nulls
    rows = [order_row(i, "55.00") for i in UPDATED]
    rows[0]["order_id"] = None
    write_dms(lake, "orders", BAD.removesuffix(".parquet"), rows, ops=["U"] * len(rows))

    result = apply_pending(lake, ORDERS)

    assert list(result.files_quarantined) == [BAD] and result.files_applied == []
    shown = q.explain(lake, "orders", BAD)
    assert shown.reason != first_reason and "order_id" in shown.reason
    assert shown.earlier_reasons == [first_reason]
    assert file_states(lake, "orders")[BAD].outcome == "quarantined"
    assert set(amounts(lake).values()) == {"10.00"}


def test_a_copy_put_back_that_fails_again_keeps_the_earlier_quarantined_copy(lake):
    load_and_quarantine_a_bad_file(lake)
    write_dms(
        lake,
        "orders",
        BAD.removesuffix(".parquet"),  # still a bad Op, fewer rows
        [order_row(i, "55.00") for i in UPDATED[:5]],
        ops=["Y"] * 5,
    )

    assert list(apply_pending(lake, ORDERS).files_quarantined) == [BAD]

    shown = q.explain(lake, "orders", BAD)
    assert shown.rows == 5 and len(shown.replaced_copies) == 1
    replaced = pq.read_table(lake.fs_path(shown.replaced_copies[0]))
    assert replaced.num_rows == len(UPDATED)  # the first bad copy is kept, not overwritten


def test_cli_lists_shows_and_requeues(platform_home, capsys):
    from platform_assets.cli import main
    from platform_assets.lake import Lake

    lake = Lake(str(platform_home / ".lake"))
    load_and_quarantine_a_bad_file(lake)
    assert main(["quarantine", "list"]) == 0
    out = capsys.readouterr().out
    assert "orders" in out and BAD in out and "'Op'" in out
    assert main(["quarantine", "show", "orders", BAD]) == 0
    out = capsys.readouterr().out
    assert f"rows: {len(UPDATED)}" in out and "total_amount" in out and "X: 20" in out
    assert main(["quarantine", "requeue", "orders", "nope.parquet"]) == 1
    assert "no quarantined file 'nope.parquet'" in capsys.readouterr().err
    write_fixed(lake)  # a fixed copy already in the raw folder: requeue refuses to overwrite
    assert main(["quarantine", "requeue", "orders", BAD]) == 1
    assert "already in the raw folder" in capsys.readouterr().err
    os.remove(lake.fs_path(f"{lake.raw_cdc_prefix('public', 'orders')}/{BAD}"))
    assert main(["quarantine", "requeue", "orders", BAD]) == 0
    assert "pending" in capsys.readouterr().out
    assert main(["quarantine", "list"]) == 0
    assert "no quarantined files" in capsys.readouterr().out
