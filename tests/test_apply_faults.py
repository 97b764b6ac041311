"""Fault tests: the apply killed (SIGKILL, a real process kill) at several points, then rerun,
ends in the same state as an undisturbed run."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time

import pyarrow as pa
import pytest
from dms_files import product_row, write_dms

from platform_assets.contracts import contract
from platform_assets.lake import Lake
from platform_assets.processed.apply import apply_pending
from platform_assets.storage.delta import open_table

pytestmark = pytest.mark.slow
PRODUCTS = contract("products")

APPLY = """
import os, sys
from platform_assets.contracts import contract
from platform_assets.lake import Lake
from platform_assets.processed.apply import apply_pending
hook = (lambda: os.kill(os.getpid(), 9)) if sys.argv[2] == "after_merge" else None
apply_pending(Lake(sys.argv[1]), contract("products"), after_merge=hook)
"""


def build_raw_zone(lake: Lake) -> None:
    write_dms(lake, "products", "LOAD00000001", [product_row(i) for i in range(1, 60_001)])
    for minute in range(6):
        keys = range(minute * 7 + 1, 70_000, 97)
        write_dms(
            lake,
            "products",
            f"20261127-08{minute:02d}00000",
            [product_row(k, f"{minute}.{k % 100:02d}") for k in keys],
            ops=["D" if k % 5 == 0 else ("U" if k <= 60_000 else "I") for k in keys],
        )


def table_rows(lake: Lake) -> pa.Table:
    return open_table(lake, "processed", "products").to_pyarrow_table().sort_by("product_id")


def run_apply(lake: Lake, mode: str, kill_after: float | None = None) -> int:
    proc = subprocess.Popen([sys.executable, "-c", APPLY, lake.root, mode])
    if kill_after is not None:
        time.sleep(kill_after)
        proc.kill()
    return proc.wait()


def test_apply_killed_at_several_points_then_rerun_matches_undisturbed(tmp_path):
    reference = Lake(str(tmp_path / "reference"))
    build_raw_zone(reference)
    apply_pending(reference, PRODUCTS)
    expected = table_rows(reference)

    # a kill between the data commit and the applied-file log
    lake = Lake(str(tmp_path / "after_merge"))
    shutil.copytree(reference.uri("raw"), lake.uri("raw"))
    assert run_apply(lake, "after_merge") == -9
    apply_pending(lake, PRODUCTS)
    assert table_rows(lake).equals(expected)

    # kills at arbitrary moments of a run (reading, merging, writing files, committing)
    for delay in (0.3, 0.8, 1.5, 2.5):
        lake = Lake(str(tmp_path / f"kill_{delay}"))
        shutil.copytree(reference.uri("raw"), lake.uri("raw"))
        run_apply(lake, "plain", kill_after=delay)
        run_apply(lake, "plain", kill_after=delay / 2)
        rerun = apply_pending(lake, PRODUCTS)
        assert table_rows(lake).equals(expected), f"killed after {delay}s"
        assert apply_pending(lake, PRODUCTS).files_applied == []  # nothing left pending
        assert rerun.files_quarantined == {}
