"""Property: after every step, the processed table equals a plain model of the source.

Hypothesis generates a source history (inserts, updates, deletes over a few hundred keys in
several key-range partitions, some changes sharing a transaction) and delivers it as DMS
files: a full load first, then CDC files written by the three writers the apply knows (DMS
with and without `_change_seq`, the local capture), as Parquet, CSV and gzipped CSV, with a
nullable column added part way; some files are held back and arrive late, some are resent
under a later name, and maintenance (compaction, Z-order, VACUUM) runs in between. Each step
is followed by `apply_pending` (twice: the second must change nothing).

The model is the source itself: every change delivered so far, folded in commit order. A
resent file without `_change_seq` must be quarantined (it cannot be told from new changes);
one with it changes nothing.

Reproducible: derandomized with a fixed budget; on failure Hypothesis prints the example and
a `@reproduce_failure` blob (print_blob).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pyarrow as pa
import pytest
from dms_files import T0, dms_seq, product_row, write_dms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platform_assets.contracts import contract
from platform_assets.lake import Lake
from platform_assets.maintenance import Target, compact, vacuum, zorder
from platform_assets.processed.apply import apply_pending
from platform_assets.raw.cdc_capture.writer import change_seq
from platform_assets.raw.files import list_quarantined
from platform_assets.storage.delta import open_table

pytestmark = pytest.mark.slow
PRODUCTS = contract("products")
KEYS = [i * 1_777 for i in range(1, 301)]  # 300 keys over 11 partitions of 50k
TARGET = Target("processed", "products", PRODUCTS.clustering, PRODUCTS.vacuum_retention_hours)


@dataclass
class Change:
    order: int  # source commit order: the model folds by it
    op: str
    key: int
    price: str
    colour: str | None
    commit_ts: datetime
    dms_counter: int
    lsn: int
    seq_in_txn: int


@dataclass
class Source:
    """The source database and its history; `now` only moves forward."""

    rows: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    now: datetime = T0
    order: int = 0
    lsn: int = 50_000_000
    has_colour: bool = False

    def transaction(self, draw, size: int) -> list[Change]:
        self.now += timedelta(microseconds=draw(st.integers(1, 3_000_000)))
        self.lsn += 1_000
        changes = []
        for i in range(size):
            present = sorted(self.rows)
            absent = sorted(set(KEYS) - set(self.rows))
            kinds = (["I"] if absent else []) + (["U", "D"] if present else [])
            op = draw(st.sampled_from(kinds))
            key = draw(st.sampled_from(absent if op == "I" else present))
            price = f"{draw(st.integers(1, 9999)) / 100:.2f}"
            colour = draw(st.sampled_from(["red", "blue", None])) if self.has_colour else None
            if op == "D":
                price, colour = self.rows.pop(key)
            else:
                self.rows[key] = (price, colour)
            self.order += 1
            changes.append(Change(self.order, op, key, price, colour, self.now, self.order, self.lsn, i))
        return changes


@dataclass
class Delivery:
    name: str  # without extension
    fmt: str
    writer: str  # dms_seq, dms_no_seq or local
    changes: list[Change]
    with_colour: bool
    path: str = ""


def write_file(lake: Lake, d: Delivery) -> str:
    rows = [product_row(ch.key, ch.price) for ch in d.changes]
    seqs = {
        "dms_no_seq": None,
        "dms_seq": [dms_seq(ch.commit_ts, ch.dms_counter) for ch in d.changes],
        "local": [change_seq(ch.lsn, ch.seq_in_txn) for ch in d.changes],
    }[d.writer]
    extra = {"colour": pa.array([ch.colour for ch in d.changes], pa.string())} if d.with_colour else None
    return write_dms(
        lake,
        "products",
        d.name,
        rows,
        ops=[ch.op for ch in d.changes],
        fmt=d.fmt,
        change_seqs=seqs,
        commit_ts=[ch.commit_ts for ch in d.changes],
        extra=extra,
    )


def expected(
    loaded: dict[int, tuple[str, str | None]], delivered: list[Change]
) -> dict[int, tuple[str, str | None]]:
    rows = dict(loaded)
    for ch in sorted(delivered, key=lambda ch: ch.order):
        if ch.op == "D":
            rows.pop(ch.key, None)
        else:
            rows[ch.key] = (ch.price, ch.colour)
    return rows


def actual(lake: Lake) -> dict[int, tuple[str, str | None]]:
    table = open_table(lake, "processed", "products").to_pyarrow_table()
    colours = table["colour"].to_pylist() if "colour" in table.column_names else [None] * len(table)
    return {
        k: (f"{p:.2f}", c)
        for k, p, c in zip(table["product_id"].to_pylist(), table["price"].to_pylist(), colours, strict=True)
    }


def file_name(at: datetime) -> str:
    return f"{at:%Y%m%d-%H%M%S}{at.microsecond // 1000:03d}"


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    print_blob=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_processed_table_equals_the_source_model_after_every_step(data):
    draw = data.draw
    root = tempfile.mkdtemp(prefix="apply_property_")
    try:
        lake = Lake(root)
        source = Source()
        loaded_keys = draw(
            st.lists(st.sampled_from(KEYS), min_size=50, max_size=250, unique=True), label="full load keys"
        )
        source.rows = {k: ("9.99", None) for k in loaded_keys}
        loaded = dict(source.rows)
        write_dms(
            lake,
            "products",
            "LOAD00000001",
            [product_row(k) for k in loaded_keys],
            fmt=draw(st.sampled_from(["parquet", "csv"]), label="load format"),
            change_seqs=draw(st.sampled_from([None, [None] * len(loaded_keys)]), label="load change seq"),
        )
        delivered: list[Change] = []
        sent: list[Delivery] = []
        held: list[Delivery] = []
        quarantined: set[str] = set()
        check(lake, loaded, delivered, quarantined)
        for step in range(draw(st.integers(4, 9), label="steps")):
            action = draw(
                st.sampled_from(["changes", "changes", "changes", "late", "deliver", "resend", "maintain"]),
                label=f"step {step}",
            )
            if action in ("changes", "late"):
                if draw(st.integers(0, 3)) == 0:
                    source.has_colour = True
                changes = []
                for _ in range(draw(st.integers(1, 12))):
                    changes += source.transaction(draw, draw(st.integers(1, 3)))
                source.now += timedelta(milliseconds=draw(st.integers(1, 900)))
                d = Delivery(
                    file_name(source.now),
                    draw(st.sampled_from(["parquet", "csv", "csv.gz"])),
                    draw(st.sampled_from(["dms_seq", "dms_no_seq", "local"])),
                    changes,
                    source.has_colour,
                )
                source.now += timedelta(milliseconds=1)  # the next file is named later
                (held if action == "late" else sent).append(d)
                if action == "changes":
                    d.path = write_file(lake, d)
                    delivered += changes
            elif action == "deliver" and held:
                d = held.pop(draw(st.integers(0, len(held) - 1)))
                d.path = write_file(lake, d)
                sent.append(d)
                delivered += d.changes
            elif action == "resend" and sent:
                d = sent[draw(st.integers(0, len(sent) - 1))]
                source.now += timedelta(seconds=1)
                again = file_name(source.now)
                source.now += timedelta(milliseconds=1)
                shutil.copy(d.path, d.path.replace(d.name, again))
                if d.writer == "dms_no_seq":  # must be refused; with a sequence it is harmless
                    quarantined.add(f"{again}.{d.fmt}")
            elif action == "maintain":
                op = draw(st.sampled_from(["compact", "zorder", "vacuum"]))
                {
                    "compact": lambda: compact(lake, TARGET),
                    "zorder": lambda: zorder(lake, TARGET, force=True),
                    "vacuum": lambda: vacuum(lake, TARGET, retention_hours=0, force=True),
                }[op]()
            check(lake, loaded, delivered, quarantined)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def check(lake: Lake, loaded, delivered: list[Change], quarantined: set[str]) -> None:
    first = apply_pending(lake, PRODUCTS)
    again = apply_pending(lake, PRODUCTS)
    assert again.files_applied == [] and again.delta_version == first.delta_version
    assert set(first.files_quarantined) <= quarantined, first.files_quarantined
    assert first.files_unrecognized == []
    assert quarantined <= set(list_quarantined(lake, "public", "products"))
    want = expected(loaded, delivered)
    got = actual(lake)
    wrong = {k: (got.get(k), want.get(k)) for k in set(got) | set(want) if got.get(k) != want.get(k)}
    assert not wrong, f"{len(wrong)} keys differ (got, want): {dict(list(wrong.items())[:5])}"


def test_model_folds_in_commit_order():
    """The model itself: a later change wins whatever order files arrive in."""
    a = Change(1, "U", 1, "1.00", None, T0, 1, 1, 0)
    b = Change(2, "D", 1, "1.00", None, T0, 2, 2, 0)
    assert expected({1: ("9.99", None)}, [b, a]) == {}
    assert expected({1: ("9.99", None)}, [a]) == {1: ("1.00", None)}
