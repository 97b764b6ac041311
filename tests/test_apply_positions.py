"""Source positions across every input a writer produces: full loads with an empty
`_change_seq`, CDC files with and without it, DMS's and the local capture's sequence formats,
switches between them in both directions, and redeliveries."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pyarrow as pa
import pytest
from dms_files import T0, commit_times, dms_seq, product_row, write_dms

from platform_assets.contracts import contract
from platform_assets.processed.apply import apply_pending
from platform_assets.raw.cdc_capture.writer import change_seq
from platform_assets.raw.files import list_quarantined
from platform_assets.storage.delta import open_table

PRODUCTS = contract("products")
# keys spread over several key-range partitions (50k keys each)
KEYS = [k * 173 for k in range(1, 1001)]


def current(lake) -> dict[int, str]:
    rows = (
        open_table(lake, "processed", "products")
        .to_pyarrow_table(columns=["product_id", "price"])
        .to_pylist()
    )
    return {r["product_id"]: str(r["price"]) for r in rows}


def apply_twice(lake):
    first = apply_pending(lake, PRODUCTS)
    again = apply_pending(lake, PRODUCTS)
    assert again.files_applied == [] and again.delta_version == first.delta_version
    return first


def write_cdc(
    lake,
    name: str,
    writer: str,
    keys: list[int],
    price: str,
    ops: list[str],
    first_counter: int,
    fmt: str = "parquet",
) -> str:
    """A CDC file as one of the three writers writes it: DMS without `_change_seq`, DMS with
    its AR_H_CHANGE_SEQ, or the local capture (commit LSN based)."""
    ts = commit_times(name, len(keys))
    seqs = {
        "dms_no_seq": None,
        "dms_seq": [dms_seq(t, first_counter + i) for i, t in enumerate(ts)],
        # one transaction per change: its commit LSN grows with the counter
        "local": [change_seq(10_000_000 + 100 * (first_counter + i), 0) for i in range(len(ts))],
    }[writer]
    return write_dms(
        lake,
        "products",
        name,
        [product_row(k, price) for k in keys],
        ops=ops,
        change_seqs=seqs,
        commit_ts=ts,
        fmt=fmt,
    )


def test_full_load_with_an_empty_change_seq_is_applied(lake):
    """DMS fills `_change_seq` (AR_H_CHANGE_SEQ) only during CDC: a full load carries nulls."""
    write_dms(
        lake, "products", "LOAD00000001", [product_row(k) for k in KEYS], change_seqs=[None] * len(KEYS)
    )
    write_dms(
        lake,
        "products",
        "LOAD00000002",
        [product_row(k) for k in range(200_001, 400_000, 997)],
        change_seqs=[""] * len(range(200_001, 400_000, 997)),
        fmt="csv",
    )
    result = apply_twice(lake)
    assert result.files_quarantined == {}
    assert len(current(lake)) == len(KEYS) + len(range(200_001, 400_000, 997))


WRITERS = ["dms_no_seq", "dms_seq", "local"]


@pytest.mark.parametrize("before", WRITERS)
@pytest.mark.parametrize("after", WRITERS)
def test_a_writer_switch_keeps_source_order(lake, before, after):
    """A task gains or loses the `_change_seq` rule, or DMS replaces the local capture (or the
    other way round): later changes to existing keys win, in one batch or in two."""
    write_dms(lake, "products", "LOAD00000001", [product_row(k) for k in KEYS])
    apply_twice(lake)
    touched = KEYS[::3]
    write_cdc(lake, "20261127-080000000", before, touched, "2.00", ["U"] * len(touched), 1)
    apply_twice(lake)
    write_cdc(lake, "20261127-080100000", after, touched, "3.00", ["U"] * len(touched), 10_000)
    write_cdc(lake, "20261127-080200000", after, touched[:50], "4.00", ["U"] * 50, 20_000)
    apply_twice(lake)
    rows = current(lake)
    assert {rows[k] for k in touched[:50]} == {"4.00"}
    assert {rows[k] for k in touched[50:]} == {"3.00"}
    # and the same raw zone replayed into an empty table, all files in one batch
    shutil.rmtree(lake.uri("processed"))  # the tables and their applied-file logs
    apply_twice(lake)
    assert current(lake) == rows


def test_integer_change_seqs_order_as_numbers(lake):
    """A `_change_seq` column of integers: 10 comes after 9 (as text it would not)."""
    write_dms(lake, "products", "LOAD00000001", [product_row(k) for k in KEYS])
    apply_twice(lake)
    write_dms(
        lake,
        "products",
        "20261127-080000000",
        [product_row(k, "2.00") for k in KEYS[:20]],
        ops=["U"] * 20,
        change_seqs=[9] * 20,
        seq_type=pa.int64(),
        commit_ts=[T0] * 20,
    )
    write_dms(
        lake,
        "products",
        "20261127-080001000",
        [product_row(k, "3.00") for k in KEYS[:20]],
        ops=["U"] * 20,
        change_seqs=[10] * 20,
        seq_type=pa.int64(),
        commit_ts=[T0] * 20,
    )
    apply_twice(lake)
    assert {current(lake)[k] for k in KEYS[:20]} == {"3.00"}


def test_a_file_redelivered_under_a_later_name_with_change_seq_changes_nothing(lake):
    write_dms(lake, "products", "LOAD00000001", [product_row(k) for k in KEYS])
    first = write_cdc(lake, "20261127-080000000", "dms_seq", KEYS[:100], "2.00", ["U"] * 100, 1)
    write_cdc(lake, "20261127-080100000", "dms_seq", KEYS[:100], "3.00", ["U"] * 100, 500)
    apply_twice(lake)
    before = open_table(lake, "processed", "products").version()
    shutil.copy(first, first.replace("080000000", "080500000"))  # DMS resent it after a restart
    result = apply_twice(lake)
    assert result.files_applied == ["20261127-080500000.parquet"]
    assert open_table(lake, "processed", "products").version() == before
    assert {current(lake)[k] for k in KEYS[:100]} == {"3.00"}


def test_a_file_redelivered_under_a_later_name_without_change_seq_is_refused(lake):
    """Without `_change_seq` a resent file looks like new changes: it is quarantined, naming
    the file it repeats, instead of reverting rows."""
    write_dms(lake, "products", "LOAD00000001", [product_row(k) for k in KEYS])
    first = write_cdc(lake, "20261127-080000000", "dms_no_seq", KEYS[:100], "2.00", ["U"] * 100, 1)
    write_cdc(lake, "20261127-080100000", "dms_no_seq", KEYS[:100], "3.00", ["U"] * 100, 1)
    apply_twice(lake)
    resent = first.replace("080000000", "080500000")
    shutil.copy(first, resent)
    write_cdc(lake, "20261127-080600000", "dms_no_seq", KEYS[100:110], "5.00", ["U"] * 10, 1)
    result = apply_twice(lake)
    assert list(result.files_quarantined) == ["20261127-080500000.parquet"]
    reason = result.files_quarantined["20261127-080500000.parquet"]
    assert "20261127-080000000.parquet" in reason and "_change_seq" in reason
    assert list_quarantined(lake, "public", "products") == ["20261127-080500000.parquet"]
    rows = current(lake)
    assert {rows[k] for k in KEYS[:100]} == {"3.00"}
    assert {rows[k] for k in KEYS[100:110]} == {"5.00"}  # the files after it still apply


def test_a_late_file_without_change_seq_lands_in_commit_order(lake):
    """A file that arrives after newer ones is not a redelivery: its changes are new, and each
    key ends at its newest commit."""
    write_dms(lake, "products", "LOAD00000001", [product_row(k) for k in KEYS])
    write_cdc(lake, "20261127-080100000", "dms_no_seq", KEYS[:100], "3.00", ["U"] * 100, 1)
    apply_twice(lake)
    late = write_cdc(lake, "20261127-080000000", "dms_no_seq", KEYS[50:150], "2.00", ["U"] * 100, 1)
    result = apply_twice(lake)
    assert result.files_applied == [late.rsplit("/", 1)[-1]] and result.files_quarantined == {}
    rows = current(lake)
    assert {rows[k] for k in KEYS[:100]} == {"3.00"}
    assert {rows[k] for k in KEYS[100:150]} == {"2.00"}


def test_changes_of_one_commit_time_keep_their_sequence(lake):
    """Several changes of one transaction share a commit time: the sequence orders them, also
    when the sequence is not in row order."""
    write_dms(lake, "products", "LOAD00000001", [product_row(k) for k in KEYS[:10]])
    ts = T0 + timedelta(minutes=1)
    rows = [product_row(KEYS[0], "3.00"), product_row(KEYS[0], "2.00")]
    write_dms(
        lake,
        "products",
        "20261127-080100000",
        rows,
        ops=["U", "U"],
        change_seqs=[dms_seq(ts, 2), dms_seq(ts, 1)],
        commit_ts=[ts, ts],
    )
    apply_twice(lake)
    assert current(lake)[KEYS[0]] == "3.00"
